/**
 * The one error class of `@twofa/otp`. Thrown for bad input (a malformed secret, URI, option); never for
 * a wrong one-time code, which verification reports as `{ valid: false }`.
 */

/** Every `OTPError` code. */
export type OTPErrorCode =
  | 'INVALID_BASE32'
  | 'INVALID_HEX'
  | 'INVALID_SECRET'
  | 'INVALID_KEY_URI'
  | 'INVALID_MIGRATION_URI'
  | 'UNSUPPORTED_ALGORITHM'
  | 'INVALID_DIGITS'
  | 'INVALID_PERIOD'
  | 'INVALID_COUNTER'
  | 'INVALID_TIME'
  | 'INVALID_WINDOW'
  | 'INVALID_OPTION';

/**
 * Bad input to an `@twofa/otp` function. `code` says what kind of input was wrong; `message` names the
 * field and what was wrong with it, and never contains the secret itself.
 *
 * @example
 * ```ts
 * try { decodeBase32('JBSW1') } catch (e) { if (e instanceof OTPError) console.log(e.code) } // INVALID_BASE32
 * ```
 */
export class OTPError extends Error {
  /** Which rule the input broke. */
  readonly code: OTPErrorCode;

  constructor(code: OTPErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'OTPError';
    this.code = code;
  }
}
