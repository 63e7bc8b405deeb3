import { OTPError } from '../errors.ts';
import { describe } from './describe.ts';

/** RFC 4226 s5.3 allows 6 to 10 digits: a 31-bit truncated value has at most 10 decimal digits. */
export const MIN_DIGITS = 6;
export const MAX_DIGITS = 10;

/** RFC 6238 s5.2 recommends 30 seconds. */
export const DEFAULT_PERIOD_SECONDS = 30;
export const DEFAULT_DIGITS = 6;

/**
 * The options object every public function takes, else `INVALID_OPTION` naming `field`: without this,
 * `verifyTOTP(null)` read `null.secret` and threw a TypeError.
 */
export function assertOptionsObject(value: unknown, field = 'options'): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OTPError('INVALID_OPTION', `${field} must be an object, got ${describe(value)}`);
  }
}

/** An integer from 6 to 10, else `INVALID_DIGITS`. */
export function assertDigits(value: unknown, field = 'digits'): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= MIN_DIGITS && value <= MAX_DIGITS) {
    return value;
  }
  throw new OTPError(
    'INVALID_DIGITS',
    `${field} must be an integer from ${MIN_DIGITS} to ${MAX_DIGITS}, got ${describe(value)}`,
  );
}

/** A positive integer number of seconds, else `INVALID_PERIOD`. */
export function assertPeriodSeconds(value: unknown, field = 'periodSeconds'): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  throw new OTPError(
    'INVALID_PERIOD',
    `${field} must be a positive whole number of seconds, got ${describe(value)}`,
  );
}

/** 2^64 - 1: RFC 4226 s5.1 defines the counter C as an 8-byte value. */
export const MAX_COUNTER = (1n << 64n) - 1n;

/** A counter in [0, 2^64 - 1] given as a safe integer or a bigint, as a bigint; else `INVALID_COUNTER`. */
export function assertCounter(value: unknown, field = 'counter'): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n && value <= MAX_COUNTER) return value;
  throw new OTPError(
    'INVALID_COUNTER',
    `${field} must be a whole number from 0 to 2^64-1 (a safe integer or a bigint), got ${describe(value)}`,
  );
}
