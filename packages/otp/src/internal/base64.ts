/**
 * Base64 (RFC 4648 s4), hand-written because `Uint8Array.fromBase64`/`toBase64` are not in every runtime
 * yet and `Buffer`/`atob` are not everywhere either.
 */
import { OTPError, type OTPErrorCode } from '../errors.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const INVALID = 255;
const PAD = 64;
const DECODE = new Uint8Array(128).fill(INVALID);
for (let value = 0; value < 64; value++) DECODE[ALPHABET.charCodeAt(value)] = value;
// RFC 4648 s5 (base64url) symbols: no standard symbol means anything else, so both alphabets are read.
DECODE[0x2d] = 62;
DECODE[0x5f] = 63;
DECODE[0x3d] = PAD;

/** Standard base64 with `=` padding (RFC 4648 s4). */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${ALPHABET[n >>> 18]}${ALPHABET[(n >>> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${ALPHABET[n >>> 18]}${ALPHABET[(n >>> 12) & 63]}${ALPHABET[(n >>> 6) & 63]}=`;
  }
  return out;
}

/**
 * Decodes base64, standard or URL-safe alphabet, padded or not (padding, if present, must be complete and
 * last). Leftover bits after the last byte are ignored. Errors are `code`, prefixed with `field`, and name
 * the offending character's position.
 */
export function decodeBase64(text: string, code: OTPErrorCode, field: string): Uint8Array {
  const out = new Uint8Array((text.length * 3) >>> 2);
  let written = 0;
  let buffer = 0;
  let bits = 0;
  let symbols = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const value = c < 128 ? DECODE[c]! : INVALID;
    if (value < 64) {
      if (padding > 0)
        throw new OTPError(code, `${field}: base64 padding '=' is followed by data at position ${i}`);
      buffer = (buffer << 6) | value;
      bits += 6;
      symbols++;
      if (bits >= 8) {
        bits -= 8;
        out[written++] = buffer >>> bits;
        buffer &= (1 << bits) - 1;
      }
    } else if (value === PAD) {
      padding++;
    } else {
      throw new OTPError(code, `${field}: character at position ${i} is not base64`);
    }
  }
  const last = symbols % 4;
  if (last === 1) {
    throw new OTPError(
      code,
      `${field}: ${symbols} base64 symbols cannot be decoded (one too many or too few)`,
    );
  }
  if (padding > 0 && padding !== (last === 0 ? 0 : 4 - last)) {
    throw new OTPError(code, `${field}: wrong base64 padding (${padding} '=' after ${symbols} symbols)`);
  }
  return written === out.length ? out : out.slice(0, written);
}
