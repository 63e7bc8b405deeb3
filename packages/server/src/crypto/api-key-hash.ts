/**
 * API keys: `twofa_<prefix>_<secret>`. The prefix (60 random bits, lower-case base32) is public and finds the
 * row; the secret (256 random bits, base64url) is stored only as HMAC-SHA256 under a subkey of the master key
 * (HKDF, info `twofa:api-key`): a copy of the database holds no usable key, and cannot even be checked
 * against a guessed one without the master key.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Keyring } from './secret-box.ts';
import { deriveSubkey } from './subkeys.ts';

const INFO = 'twofa:api-key';
const PREFIX_CHARS = 12;
/** 256 bits, as session tokens (crypto/tokens.ts). */
const SECRET_BYTES = 32;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** The whole token's shape: checked before any lookup. */
const TOKEN_SHAPE = /^twofa_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;

/** A new key: the token shown once, its prefix, and its secret part. */
export function generateApiKeyToken(): { token: string; prefix: string; secret: string } {
  // One character per random byte, from its low 5 bits (256 is a multiple of 32: uniform): 60 bits.
  const prefix = [...randomBytes(PREFIX_CHARS)].map((byte) => BASE32[byte & 31]).join('');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { token: `twofa_${prefix}_${secret}`, prefix, secret };
}

/** The prefix and secret of a token of the right shape, or undefined. */
export function parseApiKeyToken(token: string): { prefix: string; secret: string } | undefined {
  const match = TOKEN_SHAPE.exec(token);
  if (match === null) return undefined;
  return { prefix: match[1]!, secret: match[2]! };
}

/** The stored form of a key's secret part, under the keyring's key `keyId`. */
export function hashApiKeySecret(keyring: Keyring, keyId: string, prefix: string, secret: string): string {
  return createHmac('sha256', deriveSubkey(keyring, INFO, keyId))
    .update(`${prefix}\n${secret}`, 'utf8')
    .digest('base64url');
}

/** Constant-time comparison of two stored hashes. */
export function sameApiKeyHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
