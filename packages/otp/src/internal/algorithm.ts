import { OTPError } from '../errors.ts';
import { describe } from './describe.ts';

/** Hash functions OTP codes are defined over (RFC 6238 s1.2; Key URI `algorithm`). */
export type Algorithm = 'SHA1' | 'SHA256' | 'SHA512';

export const ALGORITHMS: readonly Algorithm[] = ['SHA1', 'SHA256', 'SHA512'];

/** Throws `UNSUPPORTED_ALGORITHM` unless `value` is one of {@link ALGORITHMS}. */
export function assertAlgorithm(value: unknown, field = 'algorithm'): Algorithm {
  if (typeof value === 'string' && (ALGORITHMS as readonly string[]).includes(value)) {
    return value as Algorithm;
  }
  throw new OTPError(
    'UNSUPPORTED_ALGORITHM',
    `${field} must be one of ${ALGORITHMS.join(', ')}, got ${describe(value)}`,
  );
}
