/**
 * The audit chain's hash rule: canonical JSON (sorted keys, refusals by path), the content string and the
 * hash, checked against fixed expected text and against sha256sum (coreutils), not against this code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { auditHash, canonicalAuditContent, canonicalJson, GENESIS_HASH } from '../src/crypto/audit-hash.ts';

test('canonicalJson sorts keys at every depth and adds no whitespace', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { z: true, y: [3, { d: null, c: 'x' }] }, A: 'upper' }),
    '{"A":"upper","a":{"y":[3,{"c":"x","d":null}],"z":true},"b":1}',
  );
  assert.equal(canonicalJson({}), '{}');
  assert.equal(canonicalJson({ é: 1, e: 2, '\u{1F600}': 3 }), '{"e":2,"é":1,"\u{1F600}":3}');
  // Same value, keys inserted in another order: same text.
  assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
});

test('canonicalJson refuses what JSON.stringify would silently change, naming the path', () => {
  const cases: [unknown, RegExp][] = [
    [{ n: Number.NaN }, /^\$\.n is NaN, which JSON cannot hold$/],
    [{ a: [1, Number.NEGATIVE_INFINITY] }, /^\$\.a\[1\] is -Infinity/],
    [{ u: undefined }, /^\$\.u is undefined/],
    [{ when: new Date(0) }, /^\$\.when is an object of class Date/],
    [{ big: 1n }, /^\$\.big is a bigint/],
    [{ f: () => 1 }, /^\$\.f is a function/],
    [new Map(), /^\$ is an object of class Map/],
  ];
  for (const [value, message] of cases)
    assert.throws(() => canonicalJson(value), { name: 'TypeError', message });
});

const ROW = {
  seq: 42,
  at_ms: 1_700_000_000_123,
  user_id: 'u-1',
  type: 'login.succeeded',
  ip: '192.0.2.7',
  user_agent: null,
  request_id: 'r-9',
  details: '{"method":"totp"}',
};

test('the content is a JSON array of the columns in a fixed order, details as a string', () => {
  assert.equal(
    canonicalAuditContent(ROW),
    '[42,1700000000123,"u-1","login.succeeded","192.0.2.7",null,"r-9","{\\"method\\":\\"totp\\"}"]',
  );
  assert.notEqual(canonicalAuditContent({ ...ROW, seq: 43 }), canonicalAuditContent(ROW), 'seq is covered');
});

test('auditHash is hex SHA-256 of prev + newline + content, as sha256sum computes it', () => {
  assert.equal(GENESIS_HASH, '0'.repeat(64));
  const content = canonicalAuditContent(ROW);
  const input = `${GENESIS_HASH}\n${content}`;
  const sha256sum = spawnSync('sha256sum', [], { input, encoding: 'utf8' });
  assert.equal(sha256sum.status, 0, sha256sum.stderr);
  assert.equal(auditHash(GENESIS_HASH, content), sha256sum.stdout.split(' ')[0]);
  // FIPS 180-2 "abc" vector: prev "ab", content "c" would be "ab\nc", not "abc".
  assert.notEqual(auditHash('ab', 'c'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
