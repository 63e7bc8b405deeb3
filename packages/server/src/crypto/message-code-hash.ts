/**
 * Codes sent by message at rest: HMAC-SHA256 of the user id, the purpose and the 6 digits under a subkey of
 * the master key (HKDF, info `twofa:message-code`). A 6-digit code has only 10^6 values, so a plain hash
 * would fall to a table in a second: keyed, a copy of the database without the master key tells nothing, and
 * a hash copied to another user's row or purpose does not match there.
 */
import { createHmac } from 'node:crypto';
import type { Keyring } from './secret-box.ts';
import { deriveSubkey } from './subkeys.ts';

const INFO = 'twofa:message-code';

export function hashMessageCode(
  keyring: Keyring,
  keyId: string,
  input: { userId: string; purpose: string; code: string },
): string {
  return createHmac('sha256', deriveSubkey(keyring, INFO, keyId))
    .update(`${input.userId}\n${input.purpose}\n${input.code}`, 'utf8')
    .digest('base64url');
}
