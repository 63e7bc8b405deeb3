/**
 * Recovery codes: the way back when the phone is lost. A set of 10 single-use codes of 80 bits each
 * (16 characters of Crockford base32, shown as `xxxx-xxxx-xxxx-xxxx`), made from the CSPRNG when 2FA is turned
 * on, shown once, stored only as keyed hashes (crypto/recovery-code-hash.ts).
 *
 * A recovery code is not a 6-digit guess: it is not blocked by the 6-digit lock, and its own limit (10 wrong
 * per 15 minutes per account, then wrong ones get a 429 and a wait) never refuses a right code, so an
 * attacker who has the password cannot lock the owner out of their recovery codes.
 */
import { randomBytes } from 'node:crypto';
import { hashRecoveryCode } from '../../crypto/recovery-code-hash.ts';
import {
  claimRecoveryCode,
  countUnusedRecoveryCodes,
  listRecoveryCodeKeyIds,
} from '../../store/recovery-codes-repo.ts';
import { clearRecoveryFailures, rejectRecoveryCode, reserveRecoveryAttempt } from '../throttle.ts';
import type { SecondFactor } from './types.ts';

/** Crockford's base32 alphabet: no I, L, O or U, so nothing reads as another character. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** NIST SP 800-63B s5.1.2.1 asks at least 20 bits of a look-up secret; 80 bits is beyond any guessing. */
const RECOVERY_CODE_BYTES = 10;
const RECOVERY_CODE_CHARS = 16;

/** A new random code in canonical form (16 upper-case Crockford characters). */
export function generateRecoveryCode(): string {
  const bytes = randomBytes(RECOVERY_CODE_BYTES);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(value >>> bits) & 31];
    }
  }
  return out;
}

/** How a code is shown: lower case in groups of four, `k3m9-a0qz-...`. */
export function formatRecoveryCode(code: string): string {
  return (code.toLowerCase().match(/.{4}/g) ?? []).join('-');
}

/**
 * The canonical form of a typed recovery code, or undefined: forgiving of case, spaces and dashes (and of
 * full-width forms, through NFKC), and of Crockford's look-alikes (O for 0, I and L for 1).
 */
export function normalizeRecoveryCode(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const code = input
    .normalize('NFKC')
    .replace(/[\s\-\u2010]+/g, '')
    .toUpperCase()
    .replaceAll('O', '0')
    .replaceAll('I', '1')
    .replaceAll('L', '1');
  if (code.length !== RECOVERY_CODE_CHARS) return undefined;
  for (const char of code) if (!CROCKFORD.includes(char)) return undefined;
  return code;
}

export const recoveryFactor: SecondFactor = {
  kind: 'recovery',
  role: 'backup',
  wrongCode: 'INVALID_RECOVERY_CODE',

  async isEnrolled(db, userId) {
    return (await countUnusedRecoveryCodes(db, userId)) > 0;
  },

  normalize: normalizeRecoveryCode,

  // Never refused up front: a full window slows wrong codes only (services/throttle.ts), so a right one from
  // the owner always gets through, whatever someone with the password has typed before.
  limited: async () => undefined,

  async reserve(ctx, userId) {
    const used = await reserveRecoveryAttempt(ctx, userId);
    return {
      // A right code starts the window over (as a right password does): the limit counts wrong codes.
      accept: (db) => clearRecoveryFailures(db, userId),
      reject: (db) => rejectRecoveryCode(ctx, db, userId, used),
      // A used recovery code is answered as a wrong one (its claim never says `replayed`).
      release: async () => {},
    };
  },

  async claim(ctx, trx, { userId, code, purpose }) {
    // Normally one key id; more while the master key is being rotated (a code made under a key that has left
    // the list can no longer be checked: keep old keys listed, or make new codes, as the README says).
    const keyIds = (await listRecoveryCodeKeyIds(trx, userId)).filter((id) => ctx.keyring.keys.has(id));
    if (keyIds.length === 0) return 'absent';
    const hashes = keyIds.map((keyId) => hashRecoveryCode(ctx.keyring, keyId, userId, code));
    // One conditional UPDATE: of two requests racing with one code, on any instance, one changes the row.
    if (!(await claimRecoveryCode(trx, { userId, codeHashes: hashes, nowMs: ctx.nowMs() }))) return 'wrong';
    const remaining = await countUnusedRecoveryCodes(trx, userId);
    await ctx.events.record(trx, { type: 'recovery_code.used', userId, purpose, remaining });
    return 'claimed';
  },
};
