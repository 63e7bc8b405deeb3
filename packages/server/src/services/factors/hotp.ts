/**
 * The hardware-token factor (OATH-HOTP, RFC 4226): 6-digit codes from a counter the token and the server
 * both keep. Sign-in accepts the expected counter's code or one up to HOTP_LOOK_AHEAD presses ahead; a token
 * pressed further is resynchronised with two consecutive codes within HOTP_RESYNC_LOOK_AHEAD ("Token out of
 * sync?" on the code page), and that pair is one attempt. Either way the counter moves past the matched code
 * by a conditional UPDATE on its old value, so a code works once and of two racing right codes one wins; a
 * code just used (or passed over), and the loser of that race, are replays: "already used", not a guess.
 * Wrong codes count against the user's 6-digit limit shared with the app and codes by message.
 */
import { type Algorithm, resyncHOTP, verifyHOTP } from '@twofa/otp';
import type { Kysely } from 'kysely';
import { hotpSecretContext } from '../../crypto/secret-box.ts';
import {
  advanceCounter,
  findHotpCredential,
  updateSealedHotpSecret,
} from '../../store/hotp-credentials-repo.ts';
import type { Database, HotpCredentialRow } from '../../store/schema.ts';
import type { ServiceContext } from '../context.ts';
import { HOTP_LOOK_AHEAD, HOTP_REPLAY_LOOK_BACK, HOTP_RESYNC_LOOK_AHEAD } from '../limits.ts';
import { openAndReseal } from '../sealed-secrets.ts';
import { normalizeCode, SIX_DIGIT_LIMIT, TOTP_DIGITS } from './totp.ts';
import type { SecondFactor } from './types.ts';

/** Hardware tokens show 6 digits (the same limit as every 6-digit factor: services/throttle.ts). */
export const HOTP_DIGITS = TOTP_DIGITS;
/** What joins the two codes of a resynchronisation in the factor's canonical form (`123456|654321`). */
export const HOTP_PAIR_SEPARATOR = '|';

/**
 * The canonical form of what was typed: 6 digits (one code), or two 6-digit codes joined by
 * HOTP_PAIR_SEPARATOR (a resynchronisation: the page's two fields); undefined when it is neither.
 */
export function normalizeHotpInput(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const parts = input.split(HOTP_PAIR_SEPARATOR);
  if (parts.length === 1) return normalizeCode(input);
  if (parts.length !== 2) return undefined;
  const [first, second] = parts.map((part) => normalizeCode(part));
  return first === undefined || second === undefined ? undefined : `${first}${HOTP_PAIR_SEPARATOR}${second}`;
}

/** Opens a token's secret (and re-seals it under the current key if an older key sealed it). */
export async function openHotpSecret(
  ctx: ServiceContext,
  db: Kysely<Database>,
  row: HotpCredentialRow,
): Promise<Uint8Array> {
  const sealed = { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext };
  return openAndReseal(ctx, sealed, hotpSecretContext(row.user_id, row.id), (resealed) =>
    updateSealedHotpSecret(db, { id: row.id, fromKeyId: row.secret_key_id, ...resealed }),
  );
}

/**
 * The counter the typed code (or the pair's second code) matched, or undefined: one code within
 * `counter..counter + HOTP_LOOK_AHEAD`, a pair of consecutive codes starting within
 * `counter..counter + HOTP_RESYNC_LOOK_AHEAD`.
 */
export function matchHotp(
  key: { secret: Uint8Array; algorithm: Algorithm },
  counter: number,
  canonical: string,
  resyncLookAhead = HOTP_RESYNC_LOOK_AHEAD,
): number | undefined {
  const [first, second] = canonical.split(HOTP_PAIR_SEPARATOR) as [string, string | undefined];
  const options = { secret: key.secret, algorithm: key.algorithm, digits: HOTP_DIGITS, counter };
  const result =
    second === undefined
      ? verifyHOTP({ ...options, code: first, lookAhead: HOTP_LOOK_AHEAD })
      : // RFC 4226 s7.4: a wider window, made safe by asking for two consecutive codes.
        resyncHOTP({ ...options, codes: [first, second], lookAhead: resyncLookAhead });
  return result.valid ? result.counter : undefined;
}

export const hotpFactor: SecondFactor = {
  kind: 'hotp',
  role: 'primary',
  wrongCode: 'INVALID_CODE',

  async isEnrolled(db, userId) {
    return (await findHotpCredential(db, userId)) !== undefined;
  },

  normalize: normalizeHotpInput,

  ...SIX_DIGIT_LIMIT,

  async claim(ctx, trx, { userId, code, purpose }) {
    const credential = await findHotpCredential(trx, userId);
    if (credential === undefined) return 'absent';
    const secret = await openHotpSecret(ctx, trx, credential);
    const matched = matchHotp(
      { secret, algorithm: credential.algorithm as Algorithm },
      credential.next_counter,
      code,
    );
    if (matched === undefined)
      return isUsedHotp(key(credential, secret), credential.next_counter, code) ? 'replayed' : 'wrong';
    const moved = await advanceCounter(trx, {
      id: credential.id,
      expected: credential.next_counter,
      next: matched + 1,
      nowMs: ctx.nowMs(),
    });
    if (moved) return 'claimed';
    // Lost the compare-and-set to a racing request: the counter moved past this code (used or passed over),
    // unless the racer matched an earlier one; then this code is still ahead and its claim is tried again.
    const now = await findHotpCredential(trx, userId);
    if (now === undefined) return 'absent';
    if (matched < now.next_counter) return 'replayed';
    return hotpFactor.claim(ctx, trx, { userId, code, purpose });
  },
};

function key(credential: HotpCredentialRow, secret: Uint8Array) {
  return { secret, algorithm: credential.algorithm as Algorithm };
}

/**
 * Whether a code (or a resynchronisation pair) that matched nothing ahead is the code of one of the
 * HOTP_REPLAY_LOOK_BACK counters just before the expected one: used, or passed over by a later code. It cannot
 * pass, whoever sends it: answered "already used" and not counted as a guess, like the app's replays.
 */
export function isUsedHotp(
  key: { secret: Uint8Array; algorithm: Algorithm },
  nextCounter: number,
  canonical: string,
): boolean {
  const [first, second] = canonical.split(HOTP_PAIR_SEPARATOR) as [string, string | undefined];
  const options = { secret: key.secret, algorithm: key.algorithm, digits: HOTP_DIGITS };
  if (second === undefined) {
    if (nextCounter < 1) return false;
    const from = Math.max(0, nextCounter - HOTP_REPLAY_LOOK_BACK);
    return verifyHOTP({ ...options, code: first, counter: from, lookAhead: nextCounter - 1 - from }).valid;
  }
  if (nextCounter < 2) return false;
  // The pair's second code at most nextCounter - 1: its first within the look-back before that.
  const from = Math.max(0, nextCounter - 1 - HOTP_REPLAY_LOOK_BACK);
  return resyncHOTP({ ...options, codes: [first, second], counter: from, lookAhead: nextCounter - 2 - from })
    .valid;
}
