/**
 * What the login throttle stores instead of an email: HMAC-SHA256 of the normalised email under a subkey
 * derived from the current master key (HKDF-SHA256, RFC 5869). A plain SHA-256 of an email is undone by
 * hashing a list of likely addresses; this cannot be without the master key. So a copy of login_throttle
 * does not say which addresses someone tried (many of them have no account).
 */
import { createHmac, type KeyObject } from 'node:crypto';
import type { Keyring } from './secret-box.ts';
import { deriveSubkey } from './subkeys.ts';

/** RFC 5869 s3.2: the `info` label that makes this subkey independent of any other use of the master key. */
const INFO = 'twofa:login-throttle:email';

/** The HMAC key for email keys, from the keyring's current master key (or the key `keyId`). */
export function deriveEmailKey(keyring: Keyring, keyId = keyring.currentKeyId): KeyObject {
  return deriveSubkey(keyring, INFO, keyId);
}

/** The stored key of an (already normalised) email: base64url HMAC-SHA256. */
export function emailKeyOf(key: KeyObject, normalizedEmail: string): string {
  return createHmac('sha256', key).update(normalizedEmail, 'utf8').digest('base64url');
}
