/**
 * Recovery codes at rest: HMAC-SHA256 of the user id and the normalised code under a subkey of the master key
 * (HKDF, info `twofa:recovery-code`). Never reversible, and useless without the master key: a copy of the
 * database cannot be searched for codes (80 bits each is beyond guessing anyway), and a hash copied to
 * another user's row does not match there (the user id is inside the MAC).
 */
import { createHmac } from 'node:crypto';
import type { Keyring } from './secret-box.ts';
import { deriveSubkey } from './subkeys.ts';

const INFO = 'twofa:recovery-code';

/** The stored form of a normalised recovery code of `userId`, under the keyring's key `keyId`. */
export function hashRecoveryCode(keyring: Keyring, keyId: string, userId: string, code: string): string {
  return createHmac('sha256', deriveSubkey(keyring, INFO, keyId))
    .update(`${userId}\n${code}`, 'utf8')
    .digest('base64url');
}
