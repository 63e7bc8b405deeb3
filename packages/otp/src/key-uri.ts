import { decodeBase32Field, encodeBase32 } from './base32.ts';
import { OTPError, type OTPErrorCode } from './errors.ts';
import type { SecretInput } from './hotp.ts';
import { type Algorithm, assertAlgorithm } from './internal/algorithm.ts';
import { describe } from './internal/describe.ts';
import {
  assertDigits,
  assertPeriodSeconds,
  DEFAULT_DIGITS,
  DEFAULT_PERIOD_SECONDS,
} from './internal/options.ts';
import { parseQuery, percentDecode, percentEncode, singleParameter, trimURI } from './internal/uri.ts';
import { toSecretBytes } from './secret.ts';

/**
 * One authenticator account: everything an `otpauth://` URI (or a Google Authenticator export entry)
 * carries.
 * @see https://github.com/google/google-authenticator/wiki/Key-Uri-Format
 */
export interface OTPKey {
  /** Time-based (RFC 6238) or counter-based (RFC 4226). */
  type: 'totp' | 'hotp';
  /** The shared secret, as bytes. */
  secret: Uint8Array;
  /** The account name shown to the user, e.g. an e-mail address. Non-empty; a colon only after an issuer. */
  account: string;
  /** The service the account belongs to, e.g. `Example`. No colon. */
  issuer?: string;
  /** @default 'SHA1' when parsing a URI that leaves it out */
  algorithm: Algorithm;
  /** Code length, 6 to 10. @default 6 when parsing a URI that leaves it out */
  digits: number;
  /** TOTP only: the time step in seconds. @default 30 */
  periodSeconds?: number;
  /** HOTP only, and required for it: the counter value the next code is computed from. */
  counter?: number;
}

/**
 * A key as {@link buildKeyURI} and {@link buildMigrationURIs} take it: an {@link OTPKey} whose secret may
 * also be base32 text and whose parameters may be left out, taking the values every authenticator app
 * assumes when a key URI omits them.
 */
export interface OTPKeyInput {
  /** @default 'totp' */
  type?: 'totp' | 'hotp';
  /** The shared secret: bytes, or base32 text (decoded with {@link decodeBase32}'s forgiving rules). */
  secret: SecretInput;
  /** The account name shown to the user, e.g. an e-mail address. Non-empty; a colon only after an issuer. */
  account: string;
  /** The service the account belongs to, e.g. `Example`. No colon. */
  issuer?: string;
  /** @default 'SHA1' */
  algorithm?: Algorithm;
  /** Code length, 6 to 10. @default 6 */
  digits?: number;
  /** TOTP only: the time step in seconds. @default 30 */
  periodSeconds?: number;
  /** HOTP only, and required for it: the counter value the next code is computed from. */
  counter?: number;
}

const SCHEME = 'otpauth://';

/**
 * Builds an `otpauth://` key URI, the text of an enrollment QR code:
 * `otpauth://totp/Example:alice%40example.com?secret=...&issuer=Example&algorithm=SHA1&digits=6&period=30`.
 *
 * - The label is `issuer:account` (just `account` without an issuer), each part percent-encoded per
 *   RFC 3986 (space as `%20`, never `+`), the colon between them literal. The issuer is also written as
 *   the `issuer` parameter, as Google's format asks.
 * - The secret (bytes, or base32 text in any form {@link decodeBase32} reads) is written as unpadded
 *   upper-case base32.
 * - Left-out parameters take the defaults every authenticator app assumes: `type` 'totp', `algorithm`
 *   'SHA1', `digits` 6, `periodSeconds` 30. `algorithm`, `digits` and `period` (TOTP) or `counter` (HOTP)
 *   are always written, even at their defaults, so no reader has to guess (and a reader that ignores them
 *   still gets the defaults right).
 *
 * Throws `OTPError`: `INVALID_KEY_URI` for a bad type, an empty account, a colon in the issuer or in an
 * account without an issuer (Google's format allows neither; after an issuer the account's colon is
 * written `%3A`, and every reader, which splits the label at its first colon, keeps it in the account,
 * as Google Authenticator exports need), control characters in them, an account starting with a
 * space (readers strip it), or an HOTP key without `counter`; `INVALID_SECRET`, `INVALID_BASE32`,
 * `UNSUPPORTED_ALGORITHM`, `INVALID_DIGITS`, `INVALID_PERIOD`, `INVALID_COUNTER` for the other fields.
 *
 * @example
 * ```ts
 * buildKeyURI({ secret: 'JBSWY3DPEHPK3PXP', account: 'alice@example.com', issuer: 'Example' });
 * // 'otpauth://totp/Example:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30'
 * buildKeyURI({ type: 'hotp', secret, account: 'alice', counter: 0, digits: 8 });
 * ```
 * @see https://github.com/google/google-authenticator/wiki/Key-Uri-Format
 */
export function buildKeyURI(key: OTPKeyInput): string {
  const valid = validateOTPKey(key, 'INVALID_KEY_URI');
  const label =
    valid.issuer === undefined
      ? percentEncode(valid.account)
      : `${percentEncode(valid.issuer)}:${percentEncode(valid.account)}`;
  let uri = `${SCHEME}${valid.type}/${label}?secret=${encodeBase32(valid.secret, { padding: false })}`;
  if (valid.issuer !== undefined) uri += `&issuer=${percentEncode(valid.issuer)}`;
  uri += `&algorithm=${valid.algorithm}&digits=${valid.digits}`;
  uri += valid.type === 'totp' ? `&period=${valid.periodSeconds}` : `&counter=${valid.counter}`;
  return uri;
}

/**
 * Parses an `otpauth://` key URI as real apps write it:
 *
 * - the label's issuer separator may be `:` or `%3A`, with optional spaces (raw or `%20`) after it;
 * - parameters come in any order, names in any case; unknown ones (`image`, `color`, ...) are ignored;
 * - the algorithm may be lower case; missing `algorithm`, `digits`, `period` default to SHA1, 6, 30;
 * - the secret may be lower case, padded or not (see {@link decodeBase32});
 * - `+` is a literal plus (RFC 3986), not a space; surrounding whitespace is ignored.
 *
 * The issuer comes from the `issuer` parameter or the label prefix; if both are present they must be
 * equal, except that a `+` in the parameter may stand for a space in the label (form encoding, as Go's
 * `url.Values` writes it). Secrets shorter than 16 bytes are accepted (many services issue 10-byte ones).
 *
 * Throws `OTPError`: `INVALID_KEY_URI` (scheme, type, missing label or secret, issuer mismatch, a
 * parameter given twice, a fragment `#`, malformed percent-encoding, control characters, missing HOTP
 * counter), `INVALID_BASE32` (the `secret` parameter, so named), `UNSUPPORTED_ALGORITHM`,
 * `INVALID_DIGITS`, `INVALID_PERIOD`, `INVALID_COUNTER`. Messages never contain the secret.
 *
 * @example
 * ```ts
 * const key = parseKeyURI('otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example');
 * // { type: 'totp', secret: Uint8Array(10), account: 'alice@google.com', issuer: 'Example',
 * //   algorithm: 'SHA1', digits: 6, periodSeconds: 30 }
 * ```
 * @see https://github.com/google/google-authenticator/wiki/Key-Uri-Format
 */
export function parseKeyURI(uri: string): OTPKey {
  const code = 'INVALID_KEY_URI';
  const { text, offset } = trimURI(uri, code);
  if (text.slice(0, SCHEME.length).toLowerCase() !== SCHEME) {
    const hint = /^otpauth-migration:/i.test(text)
      ? ' (this is a Google Authenticator export: use parseMigrationURI)'
      : '';
    throw new OTPError(code, `URI must start with otpauth://${hint}`);
  }
  const hash = text.indexOf('#');
  if (hash !== -1) {
    throw new OTPError(
      code,
      `URI has an unencoded '#' at position ${offset + hash}; a key URI has no fragment, so write '#' in names as %23`,
    );
  }
  const question = text.indexOf('?');
  const pathEnd = question === -1 ? text.length : question;
  const slash = text.indexOf('/', SCHEME.length);
  const typeEnd = slash === -1 || slash > pathEnd ? pathEnd : slash;
  const type = text.slice(SCHEME.length, typeEnd).toLowerCase();
  if (type !== 'totp' && type !== 'hotp') {
    throw new OTPError(code, 'type (the host after otpauth://) must be totp or hotp');
  }
  if (typeEnd === pathEnd || typeEnd + 1 === pathEnd) {
    throw new OTPError(code, 'label (the account name after the type) is missing');
  }
  const label = percentDecode(text.slice(typeEnd + 1, pathEnd), code, 'label', offset + typeEnd + 1);
  const { issuer: labelIssuer, account } = splitLabel(label);
  checkName(account, 'account in the label', code, { allowColon: true });
  if (labelIssuer !== undefined) checkName(labelIssuer, 'issuer in the label', code);

  const parameters = parseQuery(question === -1 ? '' : text.slice(question + 1), offset + question + 1, code);
  const get = (name: string): string | undefined => {
    const value = singleParameter(parameters, name, code);
    return value === '' ? undefined : value;
  };

  const secretText = singleParameter(parameters, 'secret', code);
  if (secretText === undefined) throw new OTPError(code, 'secret parameter is missing');
  const secret = decodeBase32Field(secretText, 'secret parameter');
  if (secret.length === 0) throw new OTPError(code, 'secret parameter is empty');

  const issuerParameter = get('issuer');
  if (issuerParameter !== undefined) checkName(issuerParameter, 'issuer parameter', code);
  if (
    labelIssuer !== undefined &&
    issuerParameter !== undefined &&
    !sameIssuer(labelIssuer, issuerParameter)
  ) {
    throw new OTPError(
      code,
      `label issuer ${quote(labelIssuer)} differs from issuer parameter ${quote(issuerParameter)}; they must be equal`,
    );
  }
  // The label's reading wins: it is the one where a space was written as %20 rather than form-encoded.
  const issuer = labelIssuer ?? issuerParameter;

  const algorithmText = get('algorithm');
  const algorithm =
    algorithmText === undefined
      ? 'SHA1'
      : assertAlgorithm(algorithmText.toUpperCase(), 'algorithm parameter');
  const digitsText = get('digits');
  const digits =
    digitsText === undefined
      ? DEFAULT_DIGITS
      : assertDigits(decimal(digitsText, 'INVALID_DIGITS', 'digits parameter'), 'digits parameter');

  const key: OTPKey = { type, secret, account, algorithm, digits };
  if (issuer !== undefined) key.issuer = issuer;
  if (type === 'totp') {
    const periodText = get('period');
    key.periodSeconds =
      periodText === undefined
        ? DEFAULT_PERIOD_SECONDS
        : assertPeriodSeconds(decimal(periodText, 'INVALID_PERIOD', 'period parameter'), 'period parameter');
  } else {
    const counterText = get('counter');
    if (counterText === undefined) throw new OTPError(code, 'counter parameter is required for hotp');
    key.counter = decimal(counterText, 'INVALID_COUNTER', 'counter parameter');
  }
  return key;
}

/**
 * Whether the label's issuer and the `issuer` parameter name the same issuer. A `+` in the parameter where the
 * label has a space counts as that space: query strings are often form-encoded (Go's `url.Values`, used by
 * pquerna/otp in Gitea and Vault, writes `My%20Gitea:alice?issuer=My+Gitea`), and Google Authenticator, which
 * reads query parameters the same way, shows such keys.
 */
function sameIssuer(label: string, parameter: string): boolean {
  if (label.length !== parameter.length) return false;
  for (let i = 0; i < label.length; i++) {
    const a = label[i];
    const b = parameter[i];
    if (a !== b && !(a === ' ' && b === '+')) return false;
  }
  return true;
}

/** A decimal number as written in a URI: ASCII digits only (no sign, no exponent), at most 2^53 - 1. */
function decimal(text: string, code: OTPErrorCode, field: string): number {
  if (!/^[0-9]+$/.test(text)) {
    throw new OTPError(code, `${field} must be a whole number in decimal digits, got ${quote(text)}`);
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new OTPError(code, `${field} is larger than 2^53-1`);
  return value;
}

/**
 * Splits a decoded label at its first colon into issuer and account, dropping spaces after the colon
 * (Google's format allows them). An empty issuer prefix counts as none.
 * @internal
 */
export function splitLabel(label: string): { issuer: string | undefined; account: string } {
  const colon = label.indexOf(':');
  if (colon === -1) return { issuer: undefined, account: label };
  const issuer = label.slice(0, colon);
  return { issuer: issuer === '' ? undefined : issuer, account: label.slice(colon + 1).replace(/^ +/, '') };
}

/**
 * Checks a key and fills in the defaults (`type` 'totp', `algorithm` 'SHA1', `digits` 6, `periodSeconds`
 * 30 for TOTP) and decodes a base32 secret; returns a new {@link OTPKey} with only the fields that apply to
 * its type. Used by {@link buildKeyURI} and the migration builder. `where` prefixes field names in errors
 * (`keys[2].`).
 * @internal
 */
export function validateOTPKey(key: OTPKeyInput, code: OTPErrorCode, where = ''): OTPKey {
  if (typeof key !== 'object' || key === null || Array.isArray(key))
    throw new OTPError(
      code,
      `${where === '' ? 'key' : where.slice(0, -1)} must be an object, got ${describe(key)}`,
    );
  const type = key.type ?? 'totp';
  if (type !== 'totp' && type !== 'hotp') {
    throw new OTPError(code, `${where}type must be 'totp' or 'hotp', got ${describe(type)}`);
  }
  const secret = toSecretBytes(key.secret, `${where}secret`);
  const issuer = key.issuer === undefined || key.issuer === '' ? undefined : key.issuer;
  // Readers split the label at its first colon, so after an issuer the account may hold one (written %3A).
  // Google Authenticator exports carry such names; without an issuer the colon would make one.
  checkName(key.account, `${where}account`, code, { allowColon: true });
  if (issuer === undefined && key.account.includes(':')) {
    throw new OTPError(
      code,
      `${where}account must not contain ':' when there is no issuer (readers would take what precedes it for one)`,
    );
  }
  if (key.account.startsWith(' ')) {
    throw new OTPError(
      code,
      `${where}account must not start with a space: readers drop spaces after the issuer`,
    );
  }
  if (issuer !== undefined) checkName(issuer, `${where}issuer`, code);
  const valid: OTPKey = {
    type,
    secret,
    account: key.account,
    algorithm: assertAlgorithm(key.algorithm ?? 'SHA1', `${where}algorithm`),
    digits: assertDigits(key.digits ?? DEFAULT_DIGITS, `${where}digits`),
  };
  if (issuer !== undefined) valid.issuer = issuer;
  if (type === 'totp') {
    valid.periodSeconds = assertPeriodSeconds(
      key.periodSeconds ?? DEFAULT_PERIOD_SECONDS,
      `${where}periodSeconds`,
    );
  } else {
    if (key.counter === undefined) throw new OTPError(code, `${where}counter is required for hotp keys`);
    if (!Number.isSafeInteger(key.counter) || key.counter < 0) {
      throw new OTPError(
        'INVALID_COUNTER',
        `${where}counter must be a whole number from 0 to 2^53-1, got ${describe(key.counter)}`,
      );
    }
    valid.counter = key.counter;
  }
  return valid;
}

/**
 * An issuer or account name: a non-empty, well-formed string without control characters (names are shown
 * to people; a newline or escape sequence there could forge lines in a terminal or a log) and, unless
 * `allowColon`, without the colon that separates issuer from account.
 * @internal
 */
export function checkName(
  name: unknown,
  field: string,
  code: OTPErrorCode,
  options: { allowColon?: boolean } = {},
): asserts name is string {
  if (typeof name !== 'string' || name === '')
    throw new OTPError(code, `${field} must be a non-empty string`);
  if (!name.isWellFormed())
    throw new OTPError(code, `${field} is not well-formed Unicode (a lone surrogate)`);
  // C0 controls, DEL and C1 controls.
  const control = name.search(/\p{Cc}/u);
  if (control !== -1) {
    const c = name.charCodeAt(control).toString(16).toUpperCase().padStart(4, '0');
    throw new OTPError(code, `${field} has a control character U+${c} at position ${control}`);
  }
  if (!options.allowColon && name.includes(':')) {
    throw new OTPError(
      code,
      `${field} must not contain ':' (it separates issuer and account in a key URI label)`,
    );
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}
