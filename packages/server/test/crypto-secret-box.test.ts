/**
 * Threat: a copy of the database (a backup, a stolen dump, an SQL injection elsewhere) must not reveal TOTP
 * secrets, and someone who can write rows must not be able to move one user's secret onto another account
 * or alter it unnoticed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  DEFAULT_KEY_ID,
  needsReseal,
  openSecret,
  parseKeyring,
  SecretBoxError,
  sealSecret,
  totpSecretContext,
} from '../src/crypto/secret-box.ts';

const keyText = () => randomBytes(32).toString('base64');
const secret = () => new Uint8Array(randomBytes(20));

test('seal then open returns the secret; the key id travels beside the ciphertext', () => {
  const keyring = parseKeyring(keyText());
  const plain = secret();
  const context = totpSecretContext('user-1', 'cred-1');
  const sealed = sealSecret(keyring, plain, context);
  assert.equal(sealed.keyId, DEFAULT_KEY_ID);
  assert.deepEqual(openSecret(keyring, sealed, context), plain);
  // 12-byte IV + 20-byte body + 16-byte tag.
  assert.equal(Buffer.from(sealed.ciphertext, 'base64url').length, 48);
  assert.equal(context, 'twofa:totp:user-1:cred-1');
});

test('each seal uses a fresh IV: the same secret seals differently every time', () => {
  const keyring = parseKeyring(keyText());
  const plain = secret();
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const sealed = sealSecret(keyring, plain, 'ctx');
    seen.add(Buffer.from(sealed.ciphertext, 'base64url').subarray(0, 12).toString('hex'));
  }
  assert.equal(seen.size, 100);
});

test('a ciphertext moved to another user or credential does not open', () => {
  const keyring = parseKeyring(keyText());
  const sealed = sealSecret(keyring, secret(), totpSecretContext('alice', 'cred-a'));
  assert.throws(() => openSecret(keyring, sealed, totpSecretContext('mallory', 'cred-a')), SecretBoxError);
  assert.throws(() => openSecret(keyring, sealed, totpSecretContext('alice', 'cred-b')), SecretBoxError);
});

test('any flipped bit (IV, body or tag) is detected', () => {
  const keyring = parseKeyring(keyText());
  const sealed = sealSecret(keyring, secret(), 'ctx');
  const bytes = Buffer.from(sealed.ciphertext, 'base64url');
  for (let i = 0; i < bytes.length; i++) {
    const tampered = Buffer.from(bytes);
    tampered[i]! ^= 0x01;
    assert.throws(
      () => openSecret(keyring, { keyId: sealed.keyId, ciphertext: tampered.toString('base64url') }, 'ctx'),
      SecretBoxError,
      `byte ${i}`,
    );
  }
  assert.throws(
    () =>
      openSecret(
        keyring,
        { keyId: sealed.keyId, ciphertext: bytes.subarray(0, 27).toString('base64url') },
        'ctx',
      ),
    SecretBoxError,
  );
});

test('the wrong key, or an unknown key id, does not open', () => {
  const sealed = sealSecret(parseKeyring(keyText()), secret(), 'ctx');
  assert.throws(() => openSecret(parseKeyring(keyText()), sealed, 'ctx'), SecretBoxError);
  assert.throws(() => openSecret(parseKeyring(`other:${keyText()}`), sealed, 'ctx'), /key id 'default'/);
});

test('rotation: old keys still open, the current (first) key seals', () => {
  const oldKey = keyText();
  const before = parseKeyring(`k1:${oldKey}`);
  const plain = secret();
  const sealedOld = sealSecret(before, plain, 'ctx');
  assert.equal(sealedOld.keyId, 'k1');

  const after = parseKeyring(`k2:${keyText()}, k1:${oldKey}`);
  assert.equal(after.currentKeyId, 'k2');
  assert.deepEqual(openSecret(after, sealedOld, 'ctx'), plain);
  assert.equal(needsReseal(after, sealedOld), true);
  const resealed = sealSecret(after, plain, 'ctx');
  assert.equal(resealed.keyId, 'k2');
  assert.equal(needsReseal(after, resealed), false);
  // Once every secret is re-sealed, the old key can go.
  const onlyNew = parseKeyring(`k2:${keyText()}`);
  assert.throws(() => openSecret(onlyNew, sealedOld, 'ctx'), SecretBoxError);
});

test('keyring syntax', () => {
  assert.throws(() => parseKeyring(''), /empty/);
  assert.throws(() => parseKeyring(randomBytes(31).toString('base64')), /exactly 32/);
  assert.throws(() => parseKeyring(randomBytes(33).toString('base64')), /exactly 32/);
  assert.throws(() => parseKeyring(`k1:${keyText()},k1:${keyText()}`), /twice/);
  assert.throws(() => parseKeyring(`bad id:${keyText()}`), /key id/);
  const urlSafe = parseKeyring(randomBytes(32).toString('base64url'));
  assert.equal(urlSafe.keys.size, 1);
});
