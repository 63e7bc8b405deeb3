/** Threat: a guessable session token, or a database copy that holds usable tokens. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateToken, hashToken, isWellFormedToken } from '../src/crypto/tokens.ts';

test('tokens are 256 random bits, base64url, and distinct', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const token = generateToken();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    assert.ok(isWellFormedToken(token));
    seen.add(token);
  }
  assert.equal(seen.size, 1000);
});

test('the stored form is SHA-256 (FIPS 180-2 "abc" vector), base64url', () => {
  assert.equal(
    hashToken('abc'),
    Buffer.from('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'hex').toString(
      'base64url',
    ),
  );
  const token = generateToken();
  assert.notEqual(hashToken(token), token);
  assert.equal(hashToken(token), hashToken(token));
});

test('malformed tokens are recognised before any lookup', () => {
  for (const value of [
    '',
    'short',
    `${generateToken()}x`,
    `${generateToken().slice(0, 42)}=`,
    `${'a'.repeat(42)}.`,
  ]) {
    assert.equal(isWellFormedToken(value), false, value);
  }
});
