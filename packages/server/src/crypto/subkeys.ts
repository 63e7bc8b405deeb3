/**
 * Subkeys of a master key: HKDF-SHA256 (RFC 5869) with an `info` label per use, so a key for one purpose
 * (the login throttle's email keys, recovery-code hashes) tells nothing about the master key or another use.
 * Each subkey is derived once per master key and kept beside it (a recovery code checked at sign-in no longer
 * pays an HKDF per request). The cache is keyed by the master key object itself, not by the keyring or the
 * key id: a live keyring changes its current key and re-reads its key file while the service runs
 * (services/keyring.ts), and a subkey must always come from the material the keyring holds now.
 */
import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import type { Keyring } from './secret-box.ts';

const KEY_BYTES = 32;

const derived = new WeakMap<KeyObject, Map<string, KeyObject>>();

/** The subkey for `info` from the keyring's key `keyId` (the current key when omitted). */
export function deriveSubkey(keyring: Keyring, info: string, keyId = keyring.currentKeyId): KeyObject {
  const master = keyring.keys.get(keyId);
  if (master === undefined) throw new Error(`master key id '${keyId}' is missing from the keyring`);
  let subkeys = derived.get(master);
  if (subkeys === undefined) {
    subkeys = new Map();
    derived.set(master, subkeys);
  }
  const known = subkeys.get(info);
  if (known !== undefined) return known;
  const subkey = createSecretKey(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, KEY_BYTES)));
  subkeys.set(info, subkey);
  return subkey;
}
