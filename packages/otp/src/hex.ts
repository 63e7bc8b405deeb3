import { OTPError } from './errors.ts';

const HEX_DIGITS = '0123456789abcdef';

/**
 * Encodes bytes as lower-case hexadecimal, two characters a byte: the form `oathtool`, RFC 4226's and
 * RFC 6238's test vectors and many hardware-token seed files give secrets in.
 *
 * @example
 * ```ts
 * encodeHex(decodeBase32('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')); // '3132333435363738393031323334353637383930'
 * ```
 * @throws {OTPError} INVALID_OPTION when `bytes` is not a `Uint8Array`.
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-8
 */
export function encodeHex(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new OTPError('INVALID_OPTION', 'bytes must be a Uint8Array');
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_DIGITS[bytes[i]! >>> 4]! + HEX_DIGITS[bytes[i]! & 15]!;
  return out;
}

/**
 * Decodes a hexadecimal secret (as `oathtool` takes it, or an RFC test vector) to bytes. Upper and lower
 * case are accepted, and so are spaces between groups (`3132 3334`). Pass the result wherever a secret
 * goes; a string secret elsewhere in this package always means base32.
 *
 * @example
 * ```ts
 * generateHOTP({ secret: decodeHex('3132333435363738393031323334353637383930'), counter: 0 }); // '755224'
 * ```
 * @throws {OTPError} INVALID_HEX naming the first character that is not a hex digit and its (0-based)
 *   position, or an odd number of hex digits; the message never repeats the input.
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-8
 */
export function decodeHex(text: string): Uint8Array {
  if (typeof text !== 'string') throw new OTPError('INVALID_HEX', 'hex text must be a string');
  const out = new Uint8Array(text.length >>> 1);
  let written = 0;
  let high = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20) continue;
    const value = hexValue(c);
    if (value < 0) {
      const shown =
        c > 0x20 && c < 0x7f ? `'${text[i]}'` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      throw new OTPError(
        'INVALID_HEX',
        `character ${shown} at position ${i} is not a hex digit (0-9, a-f, A-F)`,
      );
    }
    if (high < 0) {
      high = value;
    } else {
      out[written++] = (high << 4) | value;
      high = -1;
    }
  }
  if (high >= 0) {
    throw new OTPError(
      'INVALID_HEX',
      `${written * 2 + 1} hex digits: a byte takes two, so the count must be even`,
    );
  }
  return written === out.length ? out : out.slice(0, written);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
