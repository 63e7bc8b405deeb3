import { OTPError } from './errors.ts';
import { assertOptionsObject } from './internal/options.ts';

/** RFC 4648 s6: the base32 alphabet, value 0 to 31. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

// Decoding table over ASCII: a symbol's value, or one of these markers.
const SKIP = 32;
const PAD = 33;
const INVALID = 255;
const DECODE = new Uint8Array(128).fill(INVALID);
for (let value = 0; value < 32; value++) {
  DECODE[ALPHABET.charCodeAt(value)] = value;
  DECODE[ALPHABET.toLowerCase().charCodeAt(value)] = value;
}
// Secrets are shown to people in groups ("JBSW Y3DP ..." or "JBSW-Y3DP-..."), and typed back that way.
DECODE[0x20] = SKIP;
DECODE[0x2d] = SKIP;
DECODE[0x3d] = PAD;

/** Options of {@link encodeBase32}. */
export interface EncodeBase32Options {
  /**
   * Pad the output with `=` to a multiple of 8 characters (RFC 4648 s6). Key URIs and most authenticator
   * apps want it off.
   * @default true
   */
  padding?: boolean;
}

/**
 * Encodes bytes as base32 with the RFC 4648 alphabet (`A`-`Z`, `2`-`7`), upper case.
 *
 * @example
 * ```ts
 * encodeBase32(new TextEncoder().encode('foobar')); // 'MZXW6YTBOI======'
 * encodeBase32(secret, { padding: false });        // for otpauth:// URIs
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-6
 */
export function encodeBase32(bytes: Uint8Array, options: EncodeBase32Options = {}): string {
  if (!(bytes instanceof Uint8Array)) throw new OTPError('INVALID_OPTION', 'bytes must be a Uint8Array');
  assertOptionsObject(options);
  const padding = options.padding ?? true;
  if (typeof padding !== 'boolean') throw new OTPError('INVALID_OPTION', 'padding must be true or false');
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    buffer = (buffer << 8) | bytes[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  if (padding) {
    while (out.length % 8 !== 0) out += '=';
  }
  return out;
}

/**
 * Decodes RFC 4648 base32 as people and apps actually write it: lower case is accepted, spaces and hyphens
 * are ignored (`jbsw y3dp-ehpk 3pxp`), and padding may be left off. If padding is present it must be at the
 * end and complete the last 8-character group exactly.
 *
 * Anything else throws `OTPError` with code `INVALID_BASE32`, naming the offending character and its
 * position (0-based index into `text`, as `JSON.parse` counts), or the length that cannot be base32 (a last
 * group of 1, 3 or 6 symbols). Messages never repeat the valid part of the input, which may be a secret.
 *
 * Bits left over after the last whole byte are ignored, not checked to be zero: like Google Authenticator
 * and most apps, so a secret of random base32 characters whose length is not a multiple of 8 (common: 26
 * or 52 characters) still works.
 *
 * @example
 * ```ts
 * decodeBase32('JBSWY3DPEHPK3PXP');     // Uint8Array [0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21, 0xde, 0xad, 0xbe, 0xef]
 * decodeBase32('jbsw y3dp ehpk 3pxp');  // the same bytes
 * decodeBase32('JBSWY3D1');             // throws INVALID_BASE32: character '1' at position 7 is not in the base32 alphabet
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-6
 */
export function decodeBase32(text: string): Uint8Array {
  return decodeBase32Field(text, '');
}

/**
 * {@link decodeBase32} with error messages that start with `field` (`secret parameter: character ...`).
 * @internal
 */
export function decodeBase32Field(text: string, field: string): Uint8Array {
  const prefix = field === '' ? '' : `${field}: `;
  if (typeof text !== 'string') throw new OTPError('INVALID_BASE32', `${prefix}base32 text must be a string`);
  const out = new Uint8Array((text.length * 5) >>> 3);
  let written = 0;
  let buffer = 0;
  let bits = 0;
  let symbols = 0;
  let padding = 0;
  let firstPad = -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? DECODE[code]! : INVALID;
    if (value < 32) {
      if (padding > 0) {
        throw new OTPError(
          'INVALID_BASE32',
          `${prefix}padding '=' at position ${firstPad} is followed by data at position ${i}; padding may only end the text`,
        );
      }
      buffer = (buffer << 5) | value;
      bits += 5;
      symbols++;
      if (bits >= 8) {
        bits -= 8;
        out[written++] = buffer >>> bits;
        buffer &= (1 << bits) - 1;
      }
    } else if (value === PAD) {
      if (padding === 0) firstPad = i;
      padding++;
    } else if (value !== SKIP) {
      throw new OTPError(
        'INVALID_BASE32',
        `${prefix}character ${describeCharacter(text, i)} at position ${i} is not in the base32 alphabet (A-Z, 2-7)`,
      );
    }
  }
  const last = symbols % 8;
  // RFC 4648 s6: a final quantum holds 8, 16, 24, 32 or 40 bits, i.e. 2, 4, 5, 7 or 8 symbols.
  if (last === 1 || last === 3 || last === 6) {
    throw new OTPError(
      'INVALID_BASE32',
      `${prefix}${symbols} base32 symbols cannot be decoded: the last group of 8 has ${last}, which no byte length produces (allowed: 2, 4, 5, 7 or 8)`,
    );
  }
  if (padding > 0) {
    const expected = last === 0 ? 0 : 8 - last;
    if (padding !== expected) {
      throw new OTPError(
        'INVALID_BASE32',
        `${prefix}${padding} padding characters after ${symbols} symbols, expected ${expected === 0 ? 'none' : expected} (or none at all)`,
      );
    }
  }
  return written === out.length ? out : out.slice(0, written);
}

/** `'x'` for printable ASCII, else the code point (`U+00E9`), so invisible characters show up. */
function describeCharacter(text: string, index: number): string {
  const code = text.codePointAt(index)!;
  if (code > 0x20 && code < 0x7f) return `'${String.fromCharCode(code)}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
