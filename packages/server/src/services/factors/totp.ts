/**
 * The authenticator-app factor (TOTP, RFC 6238): 6-digit codes, one use per time step (a compare-and-set on
 * the credential's last used step), counted against the user's 6-digit code limit (services/throttle.ts).
 */
import { normalizeCode as normalizeTypedCode, verifyTOTP } from '@twofa/otp';
import type { Kysely } from 'kysely';
import { totpSecretContext } from '../../crypto/secret-box.ts';
import type { Database, TotpCredentialRow } from '../../store/schema.ts';
import { claimStep, findCredential, updateSealedSecret } from '../../store/totp-credentials-repo.ts';
import type { ServiceContext } from '../context.ts';
import { TOTP_MAX_SKEW_STEPS, TOTP_SKEW_AGREEING } from '../limits.ts';
import { openAndReseal } from '../sealed-secrets.ts';
import { acceptCode, codeLimitError, rejectCode, releaseCode, reserveCodeCheck } from '../throttle.ts';
import type { SecondFactor } from './types.ts';

/** What authenticator apps support everywhere: SHA-1, 6 digits, 30 seconds (RFC 6238 s4.1 default X). */
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Six digits with separators around each is 13 characters; a longer text is no code (and not worth NFKC). */
const MAX_TYPED_CODE_CHARS = 32;

/**
 * The digits of a code as typed; undefined when it cannot be a code. @twofa/otp's normalizeCode is the one
 * rule (NFKC, then spaces and hyphens go: "123 456", full-width "１２３４５６"); here anything that is not then
 * exactly 6 ASCII digits is refused before any attempt is spent.
 */
export function normalizeCode(code: unknown): string | undefined {
  if (typeof code !== 'string' || code.length > MAX_TYPED_CODE_CHARS) return undefined;
  const digits = normalizeTypedCode(code);
  return digits.length === TOTP_DIGITS && /^\d+$/.test(digits) ? digits : undefined;
}

/** Opens a credential's secret (and re-seals it under the current key if an older key sealed it). */
export async function openCredentialSecret(
  ctx: ServiceContext,
  db: Kysely<Database>,
  row: TotpCredentialRow,
): Promise<Uint8Array> {
  const sealed = { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext };
  return openAndReseal(ctx, sealed, totpSecretContext(row.user_id, row.id), (resealed) =>
    updateSealedSecret(db, { id: row.id, fromKeyId: row.secret_key_id, ...resealed }),
  );
}

/**
 * The time step a normalised code matches (never one at or before the last used step), or undefined. Two
 * windows of TWOFA_TOTP_WINDOW steps either side: one centred on the credential's learned skew, and the
 * nominal one around now. The second is what keeps the owner in when the phone's clock is set right all at
 * once (phones sync their clock): its codes are accepted at once, and their offsets move the learned skew back
 * by the same agreement rule (skewAfter). A guess matches at most 2 x (2w+1) steps (limits.ts).
 */
export async function matchCode(
  ctx: ServiceContext,
  db: Kysely<Database>,
  row: TotpCredentialRow,
  digits: string,
): Promise<number | undefined> {
  return findStep(ctx, db, row, digits, row.last_used_step ?? undefined);
}

/** The step a code matches in the windows matchCode searches, only after `afterStep` when given. */
async function findStep(
  ctx: ServiceContext,
  db: Kysely<Database>,
  row: TotpCredentialRow,
  digits: string,
  afterStep: number | undefined,
): Promise<number | undefined> {
  const secret = await openCredentialSecret(ctx, db, row);
  const check = (nowMs: number) =>
    verifyTOTP({
      secret,
      code: digits,
      nowMs,
      periodSeconds: TOTP_PERIOD_SECONDS,
      window: ctx.settings.totpWindow,
      // The steps stay absolute in both windows, so the replay guard's last used step holds across them.
      ...(afterStep === undefined ? {} : { afterStep }),
    });
  const skew = skewOf(row);
  // Centred on the learned skew by moving "now" (the window keeps its width).
  const centred = check(ctx.nowMs() + skew * TOTP_PERIOD_SECONDS * 1000);
  if (centred.valid) return centred.step;
  if (skew === 0) return undefined;
  const nominal = check(ctx.nowMs());
  return nominal.valid ? nominal.step : undefined;
}

/** The credential's learned skew in steps, within +-TOTP_MAX_SKEW_STEPS whatever the row says. */
function skewOf(row: Pick<TotpCredentialRow, 'skew_steps'>): number {
  return Math.max(-TOTP_MAX_SKEW_STEPS, Math.min(TOTP_MAX_SKEW_STEPS, row.skew_steps ?? 0));
}

/**
 * What claiming `step` now records of the phone's clock: this code's offset (its step minus the current step)
 * joins the latest ones, and when the last TOTP_SKEW_AGREEING all agree, the window's centre moves there
 * (bounded to +-TOTP_MAX_SKEW_STEPS; agreeing on 0 brings it back). A phone drifting slowly is followed a
 * step at a time: each new centre is inside the old window, since only accepted codes teach it.
 */
export function skewAfter(
  ctx: ServiceContext,
  row: Pick<TotpCredentialRow, 'recent_offsets' | 'skew_steps'>,
  step: number,
): { recentOffsets: string; skewSteps: number } {
  const currentStep = Math.floor(ctx.nowMs() / (TOTP_PERIOD_SECONDS * 1000));
  const earlier = (row.recent_offsets ?? '')
    .split(',')
    .filter((text) => text !== '')
    .map(Number);
  const offsets = [...earlier, step - currentStep].slice(-TOTP_SKEW_AGREEING);
  const agreed =
    offsets.length === TOTP_SKEW_AGREEING && offsets.every((offset) => offset === offsets[0])
      ? offsets[0]!
      : undefined;
  const skewSteps =
    agreed === undefined
      ? skewOf(row)
      : Math.max(-TOTP_MAX_SKEW_STEPS, Math.min(TOTP_MAX_SKEW_STEPS, agreed));
  return { recentOffsets: offsets.join(','), skewSteps };
}

/**
 * Whether a code that matched no unused step is the code of a step already used (a replay, answered "already
 * used" and not counted as a guess: it cannot pass, whoever sends it).
 */
async function isUsedCode(
  ctx: ServiceContext,
  db: Kysely<Database>,
  row: TotpCredentialRow,
  digits: string,
): Promise<boolean> {
  if (row.last_used_step === null) return false;
  // The windows matchCode searches, without its replay guard: a match at or before the last used step.
  const step = await findStep(ctx, db, row, digits, undefined);
  return step !== undefined && step <= row.last_used_step;
}

/**
 * The guess limit every 6-digit factor shares (the app's codes, codes by email and by text message): wrong
 * ones count per user across factors and sign-ins, so switching factor buys no guesses (services/throttle.ts).
 */
export const SIX_DIGIT_LIMIT: Pick<SecondFactor, 'limited' | 'reserve'> = {
  // The short-term lock or the spent budget, whichever ends later (as the reservation says).
  limited: (ctx, userId) => codeLimitError(ctx, userId),

  async reserve(ctx, userId) {
    const check = await reserveCodeCheck(ctx, userId);
    return {
      accept: (db) => acceptCode(db, check),
      reject: (db) => rejectCode(ctx, db, check),
      release: (db) => releaseCode(db, check),
    };
  },
};

export const totpFactor: SecondFactor = {
  kind: 'totp',
  role: 'primary',
  wrongCode: 'INVALID_CODE',

  async isEnrolled(db, userId) {
    return (await findCredential(db, userId, 'active')) !== undefined;
  },

  normalize: normalizeCode,

  ...SIX_DIGIT_LIMIT,

  // RFC 6238 s5.2: "the verifier MUST NOT accept the second attempt of the same OTP after the successful
  // validation has been issued for the first": the step is claimed with a compare-and-set.
  async claim(ctx, trx, { userId, code }) {
    const credential = await findCredential(trx, userId, 'active');
    if (credential === undefined) return 'absent';
    const step = await matchCode(ctx, trx, credential, code);
    if (step === undefined) return (await isUsedCode(ctx, trx, credential, code)) ? 'replayed' : 'wrong';
    const skew = skewAfter(ctx, credential, step);
    // Lost the compare-and-set to a racing request with the same code: used now.
    return (await claimStep(trx, { id: credential.id, step, state: 'active', ...skew }))
      ? 'claimed'
      : 'replayed';
  },
};
