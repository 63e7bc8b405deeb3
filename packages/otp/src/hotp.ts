import { OTPError } from './errors.ts';
import type { Algorithm } from './internal/algorithm.ts';
import { assertAlgorithm } from './internal/algorithm.ts';
import { splitCounter } from './internal/counter.ts';
import { describe } from './internal/describe.ts';
import { type PreparedHMAC, prepareHMAC } from './internal/hmac.ts';
import {
  assertCounter,
  assertDigits,
  assertOptionsObject,
  DEFAULT_DIGITS,
  MAX_COUNTER,
} from './internal/options.ts';
import { codesEqual, formatCode, truncateToNumber } from './internal/truncate.ts';
import { assertCodeString, parseTypedCode } from './normalize-code.ts';
import { toSecretBytes } from './secret.ts';

/** A shared secret: raw bytes, or base32 text (decoded with {@link decodeBase32}'s forgiving rules). */
export type SecretInput = Uint8Array | string;

/** The parameters of an HOTP key. */
export interface HOTPKeyOptions {
  /** The shared secret K (RFC 4226 s5.1). */
  secret: SecretInput;
  /** @default 'SHA1' (RFC 4226 uses HMAC-SHA-1; SHA256/SHA512 per RFC 6238 s1.2) */
  algorithm?: Algorithm;
  /** Code length, 6 to 10. @default 6 */
  digits?: number;
}

/** Options of {@link generateHOTP}. */
export interface GenerateHOTPOptions extends HOTPKeyOptions {
  /** The moving factor C: a whole number from 0 to 2^64 - 1 (a safe integer or a bigint). */
  counter: number | bigint;
}

/** Options of {@link verifyHOTP}. */
export interface VerifyHOTPOptions<C extends number | bigint = number | bigint> extends HOTPKeyOptions {
  /**
   * The code the user typed: `digits` ASCII digits, or that after {@link normalizeCode} (`692 147`,
   * full-width digits); anything else is refused before any comparison.
   */
  code: string;
  /** The next counter value the server expects. */
  counter: C;
  /**
   * How many counter values after `counter` are also tried (RFC 4226 s7.4, the look-ahead window `s`).
   * @default 0
   */
  lookAhead?: number;
}

/** A successful HOTP verification: store `counter + 1` as the next expected counter (RFC 4226 s7.2). */
export interface HOTPMatch<C extends number | bigint = number | bigint> {
  readonly valid: true;
  /** The counter value the code matched. */
  readonly counter: C;
  /** `counter - expected`: 0 when in sync, positive when the token ran ahead. */
  readonly delta: number;
}

/** The result of verifying an HOTP code. A wrong code is a result, not an error. */
export type HOTPVerification<C extends number | bigint = number | bigint> =
  | HOTPMatch<C>
  | { readonly valid: false };

/** Options of {@link resyncHOTP}. */
export interface ResyncHOTPOptions<C extends number | bigint = number | bigint> extends HOTPKeyOptions {
  /** Two codes the user read one after the other from the token. */
  codes: readonly [string, string];
  /** The next counter value the server expects. */
  counter: C;
  /**
   * How far ahead to search (RFC 4226 s7.4: a larger look-ahead than for ordinary verification, made safe
   * by requiring two consecutive codes).
   * @default 1000
   */
  lookAhead?: number;
}

/** A key prepared once for many HOTP operations: the HMAC key state is computed once and reused. */
export interface PreparedHOTP {
  readonly algorithm: Algorithm;
  readonly digits: number;
  /** The code for one counter value. */
  generate(counter: number | bigint): string;
  /** Same as {@link verifyHOTP} for this key. */
  verify<C extends number | bigint>(options: {
    code: string;
    counter: C;
    lookAhead?: number;
  }): HOTPVerification<C>;
}

/** RFC 4226 s7.4 suggests a look-ahead parameter; this bounds the work one request can cause. */
export const MAX_HOTP_LOOK_AHEAD = 100_000;
const DEFAULT_RESYNC_LOOK_AHEAD = 1000;

function assertLookAhead(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_HOTP_LOOK_AHEAD) {
    return value;
  }
  throw new OTPError(
    'INVALID_WINDOW',
    `lookAhead must be a whole number from 0 to ${MAX_HOTP_LOOK_AHEAD}, got ${describe(value)}`,
  );
}

/** Adds `n` to a counter of either type, keeping the type; refuses to pass 2^64 - 1. */
function addToCounter<C extends number | bigint>(counter: C, n: number): C | undefined {
  if (typeof counter === 'bigint') {
    const next = counter + BigInt(n);
    return (next > MAX_COUNTER ? undefined : next) as C | undefined;
  }
  const next = (counter as number) + n;
  return (Number.isSafeInteger(next) ? next : undefined) as C | undefined;
}

/** @internal The HOTP value as an integer for a prepared HMAC. */
export function hotpNumber(hmac: PreparedHMAC, counter: number | bigint, digits: number): number {
  const [hi, lo] = splitCounter(counter);
  return truncateToNumber(hmac.counter(hi, lo), digits);
}

function verifyPrepared<C extends number | bigint>(
  hmac: PreparedHMAC,
  digits: number,
  options: { code: string; counter: C; lookAhead?: number },
  defaultLookAhead: number,
): HOTPVerification<C> {
  assertOptionsObject(options);
  const code = assertCodeString(options.code);
  assertCounter(options.counter);
  const lookAhead = assertLookAhead(options.lookAhead, defaultLookAhead);
  const wanted = parseTypedCode(code, digits);
  if (wanted < 0) return { valid: false };
  for (let delta = 0; delta <= lookAhead; delta++) {
    const counter = addToCounter(options.counter, delta);
    if (counter === undefined) break;
    if (codesEqual(hotpNumber(hmac, counter, digits), wanted)) return { valid: true, counter, delta };
  }
  return { valid: false };
}

/**
 * Prepares an HOTP key for repeated use: the secret is decoded and the HMAC key state computed once.
 *
 * @example
 * ```ts
 * const key = prepareHOTP({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' });
 * key.generate(0); // '755224'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc4226#section-5.3
 */
export function prepareHOTP(options: HOTPKeyOptions): PreparedHOTP {
  assertOptionsObject(options);
  const algorithm = assertAlgorithm(options.algorithm ?? 'SHA1');
  const digits = assertDigits(options.digits ?? DEFAULT_DIGITS);
  const hmac = prepareHMAC(algorithm, toSecretBytes(options.secret));
  return Object.freeze({
    algorithm,
    digits,
    generate(counter: number | bigint): string {
      assertCounter(counter);
      return formatCode(hotpNumber(hmac, counter, digits), digits);
    },
    verify<C extends number | bigint>(verifyOptions: {
      code: string;
      counter: C;
      lookAhead?: number;
    }): HOTPVerification<C> {
      return verifyPrepared(hmac, digits, verifyOptions, 0);
    },
  });
}

/**
 * Generates an HOTP code: HMAC over the 8-byte big-endian counter, dynamically truncated, modulo 10^digits.
 *
 * @example
 * ```ts
 * generateHOTP({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', counter: 1 }); // '287082'
 * ```
 * @throws {OTPError} INVALID_BASE32 / INVALID_SECRET for a bad secret, INVALID_COUNTER, INVALID_DIGITS,
 *   UNSUPPORTED_ALGORITHM.
 * @see https://www.rfc-editor.org/rfc/rfc4226#section-5.3
 */
export function generateHOTP(options: GenerateHOTPOptions): string {
  return prepareHOTP(options).generate(options.counter);
}

/**
 * Verifies an HOTP code against `counter` and the next `lookAhead` counter values. Returns the counter that
 * matched; the caller stores `counter + 1` so the code cannot be used again (RFC 4226 s7.2).
 *
 * @example
 * ```ts
 * verifyHOTP({ secret, code: '287082', counter: 0, lookAhead: 2 }); // { valid: true, counter: 1, delta: 1 }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc4226#section-7.2
 */
export function verifyHOTP<C extends number | bigint>(options: VerifyHOTPOptions<C>): HOTPVerification<C> {
  const key = prepareHOTP(options);
  return key.verify(options);
}

/**
 * Resynchronises a counter that drifted far ahead: finds two consecutive codes within a large look-ahead
 * window. On success `counter` is the counter of the SECOND code; store `counter + 1`.
 *
 * @example
 * ```ts
 * resyncHOTP({ secret, counter: 0, codes: ['399871', '520489'] }); // { valid: true, counter: 9, delta: 9 }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc4226#section-7.4
 */
export function resyncHOTP<C extends number | bigint>(options: ResyncHOTPOptions<C>): HOTPVerification<C> {
  assertOptionsObject(options);
  const algorithm = assertAlgorithm(options.algorithm ?? 'SHA1');
  const digits = assertDigits(options.digits ?? DEFAULT_DIGITS);
  const codes = options.codes;
  if (!Array.isArray(codes) || codes.length !== 2) {
    throw new OTPError('INVALID_OPTION', 'codes must be an array of two consecutive codes');
  }
  assertCounter(options.counter);
  const lookAhead = assertLookAhead(options.lookAhead, DEFAULT_RESYNC_LOOK_AHEAD);
  const first = parseTypedCode(assertCodeString(codes[0], 'codes[0]'), digits);
  const second = parseTypedCode(assertCodeString(codes[1], 'codes[1]'), digits);
  if (first < 0 || second < 0) return { valid: false };
  const hmac = prepareHMAC(algorithm, toSecretBytes(options.secret));
  // Walk the window once, each counter's code computed once: a match is code[i] = first, code[i+1] = second.
  let previousMatched = false;
  for (let delta = 0; delta <= lookAhead + 1; delta++) {
    const counter = addToCounter(options.counter, delta);
    if (counter === undefined) break;
    const value = hotpNumber(hmac, counter, digits);
    if (previousMatched && codesEqual(value, second)) return { valid: true, counter, delta };
    previousMatched = delta <= lookAhead && codesEqual(value, first);
  }
  return { valid: false };
}
