/**
 * Subkeys of a master key: HKDF-SHA256 (RFC 5869) with an `info` label per use, so a key for one purpose
 * (the login throttle's email keys, recovery-code hashes) tells nothing about the master key or another use.
 */
import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import type { Keyring } from './secret-box.ts';

const KEY_BYTES = 32;

/** The subkey for `info` from the keyring's key `keyId` (the current key when omitted). */
export function deriveSubkey(keyring: Keyring, info: string, keyId = keyring.currentKeyId): KeyObject {
  const master = keyring.keys.get(keyId);
  if (master === undefined) throw new Error(`master key id '${keyId}' is missing from the keyring`);
  return createSecretKey(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, KEY_BYTES)));
}
