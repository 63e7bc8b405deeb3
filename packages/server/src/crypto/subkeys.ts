/**
 * Subkeys of a master key: HKDF-SHA256 (RFC 5869) with an `info` label per use, so a key for one purpose
 * (the login throttle's email keys, recovery-code hashes) tells nothing about the master key or another use.
 * Each subkey is derived once per keyring and kept beside it (a recovery code checked at sign-in no longer
 * pays an HKDF per request); the cache goes with the keyring object.
 */
import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import type { Keyring } from './secret-box.ts';

const KEY_BYTES = 32;

const derived = new WeakMap<Keyring, Map<string, KeyObject>>();

/** The subkey for `info` from the keyring's key `keyId` (the current key when omitted). */
export function deriveSubkey(keyring: Keyring, info: string, keyId = keyring.currentKeyId): KeyObject {
  let subkeys = derived.get(keyring);
  if (subkeys === undefined) {
    subkeys = new Map();
    derived.set(keyring, subkeys);
  }
  // A key id is [A-Za-z0-9_-]: the newline cannot occur in it, so no two (keyId, info) pairs share a name.
  const name = `${keyId}\n${info}`;
  const known = subkeys.get(name);
  if (known !== undefined) return known;
  const master = keyring.keys.get(keyId);
  if (master === undefined) throw new Error(`master key id '${keyId}' is missing from the keyring`);
  const subkey = createSecretKey(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, KEY_BYTES)));
  subkeys.set(name, subkey);
  return subkey;
}
