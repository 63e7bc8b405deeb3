import { OTPError } from './errors.ts';
import { hotpNumber, type SecretInput } from './hotp.ts';
import { type Algorithm, assertAlgorithm } from './internal/algorithm.ts';
import { describe } from './internal/describe.ts';
import { type PreparedHMAC, prepareHMAC } from './internal/hmac.ts';
import {
  assertDigits,
  assertOptionsObject,
  assertPeriodSeconds,
  DEFAULT_DIGITS,
  DEFAULT_PERIOD_SECONDS,
} from './internal/options.ts';
import { codesEqual, formatCode } from './internal/truncate.ts';
import { assertCodeString, parseTypedCode } from './normalize-code.ts';
import { toSecretBytes } from './secret.ts';

/** The parameters of a TOTP key. */
export interface TOTPKeyOptions {
  /** The shared secret (RFC 6238 s5.1: the same K as HOTP). */
  secret: SecretInput;
  /** @default 'SHA1' */
  algorithm?: Algorithm;
  /** Code length, 6 to 10. @default 6 */
  digits?: number;
  /** The time step X in seconds (RFC 6238 s4.1). @default 30 */
  periodSeconds?: number;
  /** The Unix time T0 steps are counted from (RFC 6238 s4.1). @default 0 */
  t0Seconds?: number;
}

/** Options of {@link generateTOTP}. */
export interface GenerateTOTPOptions extends TOTPKeyOptions {
  /** The time, in milliseconds since the Unix epoch. @default Date.now() */
  nowMs?: number;
}

/** How many steps before and after the current one are accepted (RFC 6238 s5.2: network delay, clock drift). */
export type TOTPWindow = number | { readonly past: number; readonly future: number };

/** Options of {@link verifyTOTP} beyond the key. */
export interface TOTPCheck {
  /**
   * The code the user typed: `digits` ASCII digits, or that after {@link normalizeCode} (`692 147`,
   * full-width digits); anything else is refused before any comparison.
   */
  code: string;
  /** @default Date.now() */
  nowMs?: number;
  /** A number for both sides, or `{ past, future }`. @default 1 */
  window?: TOTPWindow;
  /**
   * The last step this credential accepted. No step at or before it is accepted, so a code works once
   * (RFC 6238 s5.2). Store the returned `step` and pass it here next time.
   */
  afterStep?: number;
}

/** Options of {@link verifyTOTP}. */
export interface VerifyTOTPOptions extends TOTPKeyOptions, TOTPCheck {}

/** A successful TOTP verification. */
export interface TOTPMatch {
  readonly valid: true;
  /** The time step T the code belongs to; store it as the new `afterStep`. */
  readonly step: number;
  /** `step` minus the current step: -1 for the previous period's code, 0 for the current, +1 next. */
  readonly delta: number;
}

/** The result of verifying a TOTP code. A wrong code is a result, not an error. */
export type TOTPVerification = TOTPMatch | { readonly valid: false };

/** A key prepared once for many TOTP operations: the HMAC key state is computed once and reused. */
export interface PreparedTOTP {
  readonly algorithm: Algorithm;
  readonly digits: number;
  readonly periodSeconds: number;
  readonly t0Seconds: number;
  /** The code at `nowMs` (default now). */
  generate(nowMs?: number): string;
  /** The code of one time step. */
  generateAtStep(step: number): string;
  /** Same as {@link verifyTOTP} for this key. */
  verify(check: TOTPCheck): TOTPVerification;
  /** The time step at `nowMs`. */
  step(nowMs?: number): number;
}

/** RFC 6238 s5.2 recommends at most one step of tolerance; this bounds the work a single call can cause. */
export const MAX_TOTP_WINDOW = 100;

function assertNowMs(value: unknown): number {
  if (value === undefined) return Date.now();
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new OTPError('INVALID_TIME', `nowMs must be a finite number of milliseconds, got ${describe(value)}`);
}

function assertT0(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  throw new OTPError('INVALID_TIME', `t0Seconds must be a whole number of seconds, got ${describe(value)}`);
}

function windowSide(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TOTP_WINDOW)
    return value;
  throw new OTPError(
    'INVALID_WINDOW',
    `${field} must be a whole number from 0 to ${MAX_TOTP_WINDOW}, got ${describe(value)}`,
  );
}

function resolveWindow(window: unknown): [past: number, future: number] {
  if (window === undefined) return [1, 1];
  if (typeof window === 'number') {
    const both = windowSide(window, 'window');
    return [both, both];
  }
  if (typeof window === 'object' && window !== null) {
    const w = window as { past?: unknown; future?: unknown };
    return [windowSide(w.past, 'window.past'), windowSide(w.future, 'window.future')];
  }
  throw new OTPError('INVALID_WINDOW', 'window must be a number or { past, future }');
}

function assertAfterStep(value: unknown): number {
  if (value === undefined) return -1;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  throw new OTPError(
    'INVALID_OPTION',
    `afterStep must be a whole number (a time step), got ${describe(value)}`,
  );
}

/**
 * The time step `T = floor((now - T0) / X)` (RFC 6238 s4.2), from milliseconds without rounding error.
 * Throws INVALID_TIME for a time before T0, or so far ahead that the step passes 2^53 - 1.
 */
function stepAt(nowMs: number, t0Seconds: number, periodSeconds: number): number {
  const step = Math.floor((nowMs - t0Seconds * 1000) / (periodSeconds * 1000));
  if (step < 0)
    throw new OTPError('INVALID_TIME', 'nowMs is before t0Seconds: no time step is defined there');
  // Past 2^53 a step is not held exactly, and far past it the 64-bit counter wraps: a code for another step.
  if (!Number.isSafeInteger(step)) {
    throw new OTPError('INVALID_TIME', 'nowMs is too far in the future: its time step passes 2^53-1');
  }
  return step;
}

function verifyPrepared(hmac: PreparedHMAC, key: PreparedTOTP, check: TOTPCheck): TOTPVerification {
  assertOptionsObject(check);
  const code = assertCodeString(check.code);
  const current = stepAt(assertNowMs(check.nowMs), key.t0Seconds, key.periodSeconds);
  const [past, future] = resolveWindow(check.window);
  const afterStep = assertAfterStep(check.afterStep);
  const wanted = parseTypedCode(code, key.digits);
  if (wanted < 0) return { valid: false };
  // Current step first, then outwards: -1, +1, -2, +2 ...
  const widest = Math.max(past, future);
  for (let distance = 0; distance <= widest; distance++) {
    for (let side = distance === 0 ? 1 : -1; side <= 1; side += 2) {
      const delta = side * distance;
      if (delta < -past || delta > future) continue;
      const step = current + delta;
      // RFC 6238 s5.2: a verifier MUST NOT accept the second attempt of the same OTP.
      if (step < 0 || step <= afterStep) continue;
      if (codesEqual(hotpNumber(hmac, step, key.digits), wanted)) return { valid: true, step, delta };
    }
  }
  return { valid: false };
}

/**
 * Prepares a TOTP key for repeated use: the secret is decoded and the HMAC key state computed once, which
 * makes each later code cost two hash compressions.
 *
 * @example
 * ```ts
 * const key = prepareTOTP({ secret: 'JBSWY3DPEHPK3PXP' });
 * const code = key.generate();
 * key.verify({ code }); // { valid: true, step: ..., delta: 0 }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6238#section-4
 */
export function prepareTOTP(options: TOTPKeyOptions): PreparedTOTP {
  assertOptionsObject(options);
  const algorithm = assertAlgorithm(options.algorithm ?? 'SHA1');
  const digits = assertDigits(options.digits ?? DEFAULT_DIGITS);
  const periodSeconds = assertPeriodSeconds(options.periodSeconds ?? DEFAULT_PERIOD_SECONDS);
  const t0Seconds = assertT0(options.t0Seconds);
  const hmac = prepareHMAC(algorithm, toSecretBytes(options.secret));
  const key: PreparedTOTP = Object.freeze({
    algorithm,
    digits,
    periodSeconds,
    t0Seconds,
    generate(nowMs?: number): string {
      const step = stepAt(assertNowMs(nowMs), t0Seconds, periodSeconds);
      return formatCode(hotpNumber(hmac, step, digits), digits);
    },
    generateAtStep(step: number): string {
      if (!Number.isSafeInteger(step) || step < 0) {
        throw new OTPError('INVALID_COUNTER', `step must be a whole number from 0, got ${describe(step)}`);
      }
      return formatCode(hotpNumber(hmac, step, digits), digits);
    },
    verify(check: TOTPCheck): TOTPVerification {
      return verifyPrepared(hmac, key, check);
    },
    step(nowMs?: number): number {
      return stepAt(assertNowMs(nowMs), t0Seconds, periodSeconds);
    },
  });
  return key;
}

/**
 * Generates a TOTP code: HOTP with the counter `T = floor((now - T0) / X)` as an 8-byte big-endian value.
 *
 * @example
 * ```ts
 * generateTOTP({ secret: 'JBSWY3DPEHPK3PXP' });                       // the current code
 * generateTOTP({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', nowMs: 59_000, digits: 8 }); // '94287082'
 * ```
 * @throws {OTPError} for a bad secret, algorithm, digits, period or time.
 * @see https://www.rfc-editor.org/rfc/rfc6238#section-4.2
 */
export function generateTOTP(options: GenerateTOTPOptions): string {
  return prepareTOTP(options).generate(options.nowMs);
}

/**
 * Verifies a TOTP code within a window of steps around now. Pass the stored last accepted step as
 * `afterStep` and store the returned `step`, so each code is accepted once.
 *
 * @example
 * ```ts
 * const result = verifyTOTP({ secret, code: '123456', afterStep: user.lastStep });
 * if (result.valid) user.lastStep = result.step;
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6238#section-5.2
 */
export function verifyTOTP(options: VerifyTOTPOptions): TOTPVerification {
  return prepareTOTP(options).verify(options);
}

/**
 * The time step at `nowMs`: `floor((now - T0) / periodSeconds)`.
 * @see https://www.rfc-editor.org/rfc/rfc6238#section-4.2
 */
export function getTOTPStep(
  options: { nowMs?: number; periodSeconds?: number; t0Seconds?: number } = {},
): number {
  assertOptionsObject(options);
  const periodSeconds = assertPeriodSeconds(options.periodSeconds ?? DEFAULT_PERIOD_SECONDS);
  return stepAt(assertNowMs(options.nowMs), assertT0(options.t0Seconds), periodSeconds);
}

/**
 * Seconds until the current code changes (1 to `periodSeconds`), for countdowns like an authenticator app's.
 * @see https://www.rfc-editor.org/rfc/rfc6238#section-4.1
 */
export function getTOTPSecondsRemaining(
  options: { nowMs?: number; periodSeconds?: number; t0Seconds?: number } = {},
): number {
  assertOptionsObject(options);
  const periodSeconds = assertPeriodSeconds(options.periodSeconds ?? DEFAULT_PERIOD_SECONDS);
  const t0Seconds = assertT0(options.t0Seconds);
  const nowMs = assertNowMs(options.nowMs);
  const step = stepAt(nowMs, t0Seconds, periodSeconds);
  const nextMs = (t0Seconds + (step + 1) * periodSeconds) * 1000;
  return Math.ceil((nextMs - nowMs) / 1000);
}
