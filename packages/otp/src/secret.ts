import { decodeBase32Field } from './base32.ts';
import { OTPError } from './errors.ts';
import { describe } from './internal/describe.ts';

/** RFC 4226 s4 R6: the shared secret MUST be at least 128 bits. */
export const MIN_SECRET_BYTES = 16;
/** RFC 4226 s4 R6: 160 bits is RECOMMENDED (and is the output size of HMAC-SHA-1). */
export const DEFAULT_SECRET_BYTES = 20;
/** The most `crypto.getRandomValues` fills in one call (Web Crypto). */
export const MAX_SECRET_BYTES = 65536;

/**
 * Generates a new random shared secret with the platform's cryptographic random generator
 * (`globalThis.crypto.getRandomValues`: browsers, Node, Deno, Bun).
 *
 * @param bytes How many bytes: at least 16 (128 bits). Default 20 (160 bits, RFC 4226 recommendation);
 *   32 or 64 suit SHA-256 and SHA-512 keys. Fewer than 16 throws `INVALID_SECRET`.
 * @example
 * ```ts
 * const secret = generateSecret();               // 20 random bytes
 * const text = encodeBase32(secret, { padding: false }); // 32 characters to show or put in a key URI
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc4226#section-4
 */
export function generateSecret(bytes: number = DEFAULT_SECRET_BYTES): Uint8Array {
  if (!Number.isInteger(bytes) || bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    throw new OTPError(
      'INVALID_SECRET',
      `secret length must be a whole number of bytes from ${MIN_SECRET_BYTES} (128 bits, RFC 4226 R6) to ${MAX_SECRET_BYTES}, got ${describe(bytes)}`,
    );
  }
  const secret = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(secret);
  return secret;
}

/**
 * The secret as bytes: a `Uint8Array` is returned as it is (not copied), a string is decoded as base32
 * with {@link decodeBase32}'s leniency (case, spaces, hyphens, padding). An empty secret throws
 * `INVALID_SECRET`; a malformed string throws `INVALID_BASE32`; both messages start with `field`.
 *
 * Secrets shorter than 16 bytes are accepted: many services still issue 10-byte (16-character) secrets,
 * and refusing them would lock users out. Only {@link generateSecret} enforces the RFC minimum.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4226#section-4
 */
export function toSecretBytes(secret: Uint8Array | string, field = 'secret'): Uint8Array {
  let bytes: Uint8Array;
  if (typeof secret === 'string') {
    bytes = decodeBase32Field(secret, field);
  } else if (secret instanceof Uint8Array) {
    bytes = secret;
  } else {
    throw new OTPError('INVALID_SECRET', `${field} must be a Uint8Array or a base32 string`);
  }
  if (bytes.length === 0) throw new OTPError('INVALID_SECRET', `${field} is empty`);
  return bytes;
}
