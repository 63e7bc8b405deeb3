import { OTPError } from './errors.ts';
import { describeKind } from './internal/describe.ts';
import { MAX_DIGITS } from './internal/options.ts';
import { parseCode } from './internal/truncate.ts';

// Spaces (any Unicode white space), '-' and U+2010 HYPHEN: NFKC maps the full-width space and hyphen-minus
// to ' ' and '-', and U+2011 NON-BREAKING HYPHEN to U+2010.
const SEPARATORS = /[\s\-\u2010]+/g;

/**
 * A one-time code as people type or paste it, reduced to the digits a verifier compares: Unicode NFKC
 * first (full-width `１２３４５６` from some phone keyboards becomes `123456`), then spaces and hyphens are
 * removed (`692 147`, `692-147`, as apps show codes). Nothing else is changed, so a letter or a stray
 * character stays and the code is then refused by the length and digit check.
 *
 * {@link verifyTOTP}, {@link verifyHOTP}, {@link resyncHOTP} and the prepared keys' `verify` apply it
 * themselves to a code that is not already exactly `digits` ASCII digits, so callers may pass what the
 * user typed. Call it directly wherever else a code is read (a length check before verifying, a
 * rate-limit key), so every part reads the code as the verifier does.
 *
 * @example
 * ```ts
 * normalizeCode('692 147');       // '692147'
 * normalizeCode('１２３-４５６'); // '123456'
 * normalizeCode('12a456');        // '12a456' (still refused by verifyTOTP)
 * ```
 * @throws {OTPError} INVALID_OPTION when `code` is not a string.
 */
export function normalizeCode(code: string): string {
  return assertCodeString(code).normalize('NFKC').replace(SEPARATORS, '');
}

/**
 * `code` if it is a string, else `INVALID_OPTION` naming `field` and the kind of value, never the value: a
 * code passed as a number is still a code.
 * @internal
 */
export function assertCodeString(code: unknown, field = 'code'): string {
  if (typeof code === 'string') return code;
  throw new OTPError('INVALID_OPTION', `${field} must be a string of digits, got ${describeKind(code)}`);
}

/**
 * Longest typed code worth normalising: 10 digits with a separator between each (and around them). A longer
 * text is refused without running NFKC over it, so a megabyte "code" costs nothing.
 */
const MAX_TYPED_CODE_LENGTH = 4 * MAX_DIGITS;

/**
 * The code as an integer for comparison, or -1 when it is not `digits` digits. The fast path takes exactly
 * `digits` ASCII digits as they are; only anything else goes through {@link normalizeCode}.
 * @internal
 */
export function parseTypedCode(code: string, digits: number): number {
  const value = parseCode(code, digits);
  if (value >= 0 || code.length > MAX_TYPED_CODE_LENGTH) return value;
  return parseCode(normalizeCode(code), digits);
}
