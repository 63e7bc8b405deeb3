/**
 * Threat: a stolen users table. Passwords are stored only as argon2id hashes (memory-hard, salted), with
 * their parameters, so they can be raised later; hashing runs off the event loop so a burst of logins
 * cannot stall every other request.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CURRENT_PARAMETERS,
  hashPassword,
  hashWithSalt,
  needsRehash,
  verifyPassword,
} from '../src/crypto/passwords.ts';

// The reference implementation's own vectors: P-H-C/phc-winner-argon2 src/test.c (argon2id, v=0x13).
const VECTORS = [
  {
    parameters: { memoryKiB: 65536, passes: 2, parallelism: 1 },
    phc: '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
  },
  {
    parameters: { memoryKiB: 256, passes: 2, parallelism: 1 },
    phc: '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
  },
];

VECTORS.forEach(({ parameters, phc }, index) => {
  test(`phc-winner-argon2 test.c argon2id #${index}: hash and verify`, async () => {
    assert.equal(await hashWithSalt('password', Buffer.from('somesalt'), parameters), phc);
    assert.equal(await verifyPassword('password', phc), true);
    assert.equal(await verifyPassword('passwore', phc), false);
    assert.equal(needsRehash(phc), true);
  });
});

test('new hashes use OWASP parameters (19 MiB, 2 passes, 1 lane), a 16-byte salt and a 32-byte tag', async () => {
  assert.deepEqual(CURRENT_PARAMETERS, { memoryKiB: 19456, passes: 2, parallelism: 1 });
  const phc = await hashPassword('correct horse battery staple');
  const match = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc);
  assert.ok(match, phc);
  assert.equal(Buffer.from(match[1]!, 'base64').length, 16);
  assert.equal(Buffer.from(match[2]!, 'base64').length, 32);
  assert.equal(needsRehash(phc), false);
  assert.equal(await verifyPassword('correct horse battery staple', phc), true);
  assert.equal(await verifyPassword('correct horse battery stapl', phc), false);
});

test('the same password hashes differently each time (random salt)', async () => {
  const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
  assert.notEqual(a, b);
});

test('unreadable or out-of-bounds hash strings never verify', async () => {
  for (const phc of [
    '',
    'plaintext',
    '$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    '$argon2id$v=16$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    '$argon2id$v=19$m=99999999,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$',
  ]) {
    assert.equal(await verifyPassword('password', phc), false, phc);
    assert.equal(needsRehash(phc), true, phc);
  }
});

test('hashing runs off the event loop', async () => {
  let ticks = 0;
  let done = false;
  const spin = () => {
    ticks++;
    if (!done) setImmediate(spin);
  };
  setImmediate(spin);
  await hashPassword('a password that takes a while');
  done = true;
  // A synchronous hash would finish before the first setImmediate callback could run.
  assert.ok(ticks > 0, 'the event loop never turned while hashing');
});
