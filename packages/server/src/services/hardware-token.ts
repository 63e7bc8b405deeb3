/**
 * Registering and removing a hardware token (OATH-HOTP) from the security page. Registration takes the
 * token's key (base32 as printed on its card, or an otpauth://hotp URI), two consecutive codes it shows and
 * the password (as turning on codes by email: adding a way in needs the password; removing one needs the
 * password and a current code). The codes find the token's counter: a new token may have been pressed, so
 * they are searched from 0 (or the URI's counter) up to HOTP_RESYNC_LOOK_AHEAD ahead. They do not count
 * against the user's code limit: the key is in the user's own hands. Checking a code at sign-in is the
 * factor's job (factors/hotp.ts).
 */
import { randomUUID } from 'node:crypto';
import { type Algorithm, decodeBase32, OTPError, parseKeyURI } from '@twofa/otp';
import { hotpSecretContext, sealSecret } from '../crypto/secret-box.ts';
import {
  deleteHotpCredentialsOfUser,
  findHotpCredential,
  insertHotpCredential,
} from '../store/hotp-credentials-repo.ts';
import { countUnusedRecoveryCodes, deleteRecoveryCodesOfUser } from '../store/recovery-codes-repo.ts';
import type { ServiceContext } from './context.ts';
import { HOTP_DIGITS, HOTP_PAIR_SEPARATOR, hotpFactor, matchHotp } from './factors/hotp.ts';
import { isSecondFactorOn } from './factors/index.ts';
import { normalizeCode } from './factors/totp.ts';
import { HOTP_MAX_START_COUNTER } from './limits.ts';
import { checkCurrentPassword, reauthenticate, requireUser } from './reauthenticate.ts';
import { issueRecoveryCodes } from './recovery-codes.ts';
import { type HardwareTokenService, ServiceError } from './types.ts';

/** RFC 4226 s4 R6: the shared secret MUST be at least 128 bits. */
const MIN_TOKEN_SECRET_BYTES = 16;
/** A key typed or pasted: a long base32 key or a URI, never more (a bound before any parsing). */
const MAX_TOKEN_KEY_CHARS = 2048;
/**
 * A key of fewer distinct byte values than this is a pattern (zeros, one byte repeated, "AAAA..." in base32),
 * not a token's random seed: 16 random bytes take fewer than 8 values with odds about 1 in 10^12.
 */
const MIN_DISTINCT_KEY_BYTES = 8;
/** The published test key of RFC 4226 appendix D and RFC 6238 appendix B: ASCII "1234567890" repeated. */
const RFC_TEST_KEY_DIGITS = '1234567890';

/**
 * A key anyone could compute codes from: a pattern, or the RFCs' test key (demo tokens and examples use it).
 * Registered, it would make the second factor a secret known to all.
 */
export function isWeakTokenKey(secret: Uint8Array): boolean {
  if (new Set(secret).size < MIN_DISTINCT_KEY_BYTES) return true;
  const testKey = RFC_TEST_KEY_DIGITS.repeat(Math.ceil(secret.length / RFC_TEST_KEY_DIGITS.length)).slice(
    0,
    secret.length,
  );
  return Buffer.from(secret).equals(Buffer.from(testKey, 'ascii'));
}

/** A token's key as typed: base32 (spaces, dashes, any case) or an otpauth://hotp URI for 6-digit codes. */
export function parseTokenKey(
  input: unknown,
): { secret: Uint8Array; algorithm: Algorithm; counter: number } | undefined {
  if (typeof input !== 'string' || input.length > MAX_TOKEN_KEY_CHARS) return undefined;
  const text = input.trim();
  try {
    if (/^otpauth:/i.test(text)) {
      const key = parseKeyURI(text);
      if (key.type !== 'hotp' || key.digits !== HOTP_DIGITS) return undefined;
      if (key.secret.length < MIN_TOKEN_SECRET_BYTES) return undefined;
      const counter = key.counter ?? 0;
      if (counter > HOTP_MAX_START_COUNTER) return undefined;
      return { secret: key.secret, algorithm: key.algorithm, counter };
    }
    const secret = decodeBase32(
      text
        .replace(/[\s-]+/g, '')
        .toUpperCase()
        .replace(/=+$/, ''),
    );
    if (secret.length < MIN_TOKEN_SECRET_BYTES) return undefined;
    return { secret, algorithm: 'SHA1', counter: 0 };
  } catch (error) {
    if (error instanceof OTPError) return undefined;
    throw error;
  }
}

export function createHardwareTokenService(ctx: ServiceContext): HardwareTokenService {
  return {
    async register({ userId, password, key, code, nextCode }) {
      const user = await requireUser(ctx, userId);
      if (await hotpFactor.isEnrolled(ctx.db, userId)) throw new ServiceError('FACTOR_ALREADY_ON');
      const token = parseTokenKey(key);
      if (token === undefined) throw new ServiceError('INVALID_TOKEN_KEY', { field: 'key' });
      if (isWeakTokenKey(token.secret)) throw new ServiceError('WEAK_TOKEN_KEY', { field: 'key' });
      const first = normalizeCode(code);
      if (first === undefined) throw new ServiceError('MALFORMED_CODE', { field: 'code', expected: 'token' });
      const second = normalizeCode(nextCode);
      if (second === undefined)
        throw new ServiceError('MALFORMED_CODE', { field: 'nextCode', expected: 'token' });
      // A stolen session must not add its holder's token: the password first (counted as at login).
      await checkCurrentPassword(ctx, user, password);
      const matched = matchHotp(token, token.counter, `${first}${HOTP_PAIR_SEPARATOR}${second}`);
      if (matched === undefined) throw new ServiceError('INVALID_TOKEN_CODES', { field: 'code' });
      const id = randomUUID();
      const sealed = sealSecret(ctx.keyring, token.secret, hotpSecretContext(userId, id));
      const confirmed = await ctx.db.transaction().execute(async (trx) => {
        const inserted = await insertHotpCredential(trx, {
          id,
          user_id: userId,
          secret_key_id: sealed.keyId,
          secret_ciphertext: sealed.ciphertext,
          algorithm: token.algorithm,
          next_counter: matched + 1,
          created_at_ms: ctx.nowMs(),
          last_used_at_ms: null,
        });
        if (!inserted) return undefined;
        await ctx.events.record(trx, { type: 'second_factor.enabled', userId, factor: 'hotp' });
        const keep = (await countUnusedRecoveryCodes(trx, userId)) > 0;
        return { recoveryCodes: keep ? null : await issueRecoveryCodes(ctx, trx, userId) };
      });
      // Another tab registered a token first.
      if (confirmed === undefined) throw new ServiceError('FACTOR_ALREADY_ON');
      return confirmed;
    },

    async remove({ userId, password, code }) {
      await requireUser(ctx, userId);
      if (!(await hotpFactor.isEnrolled(ctx.db, userId))) throw new ServiceError('FACTOR_NOT_ON');
      await reauthenticate(ctx, { userId, password, code }, async (trx) => {
        if ((await deleteHotpCredentialsOfUser(trx, userId)) === 0) throw new ServiceError('FACTOR_NOT_ON');
        // Other factors may still be on: the recovery codes stand in for them too.
        if (!(await isSecondFactorOn(trx, userId))) await deleteRecoveryCodesOfUser(trx, userId);
        await ctx.events.record(trx, { type: 'second_factor.disabled', userId, factor: 'hotp' });
      });
    },

    async registeredAtMs(userId) {
      return (await findHotpCredential(ctx.db, userId))?.created_at_ms ?? null;
    },
  };
}
