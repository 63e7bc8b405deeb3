/**
 * Subkeys: HKDF-SHA256 of the master key per `info` label, derived once per keyring and reused. A cached
 * subkey must be exactly what HKDF gives, differ per label and per key id, and never outlive its keyring's
 * keys (a missing key id still throws).
 */
import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
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
