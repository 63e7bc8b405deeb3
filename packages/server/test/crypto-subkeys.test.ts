/**
 * Subkeys: HKDF-SHA256 of the master key per `info` label, derived once per master key and reused. A cached
 * subkey must be exactly what HKDF gives, differ per label and per key id, and never outlive its keyring's
 * keys (a missing key id still throws). Threat: a keyring that changes while the service runs (rotation, a
 * re-read key file) going on hashing with a subkey of the key it held before.
 */
import assert from 'node:assert/strict';
import { hkdfSync, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import { generateMasterKey, parseKeyring } from '../src/crypto/secret-box.ts';
import { deriveSubkey } from '../src/crypto/subkeys.ts';

const bytes = (key: { export(): Buffer }) => key.export().toString('hex');

test('a subkey is HKDF-SHA256 of the master key with the label, the same object once derived', () => {
  const master = generateMasterKey();
  const keyring = parseKeyring(`k1:${master}`);
  const expected = Buffer.from(
    hkdfSync('sha256', Buffer.from(master, 'base64'), Buffer.alloc(0), 'label', 32),
  );
  const first = deriveSubkey(keyring, 'label');
  assert.equal(bytes(first), expected.toString('hex'));
  assert.equal(deriveSubkey(keyring, 'label'), first, 'derived once, then reused');
});

test('labels and key ids give different subkeys; an unknown key id throws', () => {
  const keyring = parseKeyring(`k2:${generateMasterKey()},k1:${generateMasterKey()}`);
  const a = bytes(deriveSubkey(keyring, 'a'));
  assert.notEqual(bytes(deriveSubkey(keyring, 'b')), a);
  assert.notEqual(bytes(deriveSubkey(keyring, 'a', 'k1')), a);
  assert.equal(bytes(deriveSubkey(keyring, 'a', 'k2')), a, 'the current key by default');
  assert.throws(() => deriveSubkey(keyring, 'a', 'k3'), /k3/);
});

test('a subkey follows the keyring: its current key changing, or a key id now naming other material', () => {
  const [m1, m2, m3] = [generateMasterKey(), generateMasterKey(), generateMasterKey()];
  const hkdf = (master: string) =>
    Buffer.from(hkdfSync('sha256', Buffer.from(master, 'base64'), Buffer.alloc(0), 'label', 32)).toString(
      'hex',
    );
  // One object whose fields change, as services/keyring.ts's live keyring does.
  const initial = parseKeyring(`k1:${m1},k2:${m2}`);
  let state: { currentKeyId: string; keys: ReadonlyMap<string, KeyObject> } = initial;
  const live = {
    get currentKeyId() {
      return state.currentKeyId;
    },
    get keys() {
      return state.keys;
    },
  };
  assert.equal(bytes(deriveSubkey(live, 'label')), hkdf(m1));
  state = { currentKeyId: 'k2', keys: initial.keys };
  assert.equal(bytes(deriveSubkey(live, 'label')), hkdf(m2), 'the new current key');
  state = { currentKeyId: 'k2', keys: parseKeyring(`k2:${m3}`).keys };
  assert.equal(bytes(deriveSubkey(live, 'label')), hkdf(m3), 'the material the key id names now');
});
