/** twofa keygen: the secret, the URI, the QR image and the key file a newcomer's tutorial starts with. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertUsageError, tempDir, twofa } from './support/cli.ts';
import { readKeyURI } from './support/encoding.ts';
import { skipUnlessTool, zbarimg } from './support/tools.ts';

const NAMES = ['--issuer', 'Example', '--account', 'alice@example.com'];

/** keygen's text output: `Secret: ABCD EFGH ...` then `URI:    otpauth://...`. */
function parseOutput(stdout: string): { grouped: string; uri: string } {
  const match = /^Secret: ([A-Z2-7 ]+)\nURI: {4}(otpauth:\/\/\S+)\n$/.exec(stdout);
  assert.ok(match, `unexpected keygen output: ${stdout}`);
  return { grouped: match[1]!, uri: match[2]! };
}

test('keygen prints a 160-bit secret grouped by 4 and its otpauth:// URI', async () => {
  const result = await twofa(['keygen', ...NAMES]);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  const { grouped, uri } = parseOutput(result.stdout);
  assert.match(grouped, /^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/, '20 bytes = 32 base32 characters in 8 groups');
  const key = readKeyURI(uri);
  assert.equal(key.type, 'totp');
  assert.equal(key.label, 'Example:alice@example.com');
  assert.deepEqual(key.params, {
    secret: grouped.replaceAll(' ', ''),
    issuer: 'Example',
    algorithm: 'SHA1',
    digits: '6',
    period: '30',
  });
});

test('keygen makes a different secret every time', async () => {
  const [a, b] = await Promise.all([twofa(['keygen', ...NAMES]), twofa(['keygen', ...NAMES])]);
  assert.notEqual(parseOutput(a.stdout).grouped, parseOutput(b.stdout).grouped);
});

test('keygen --json carries the same facts as the text output', async () => {
  const result = await twofa(['keygen', ...NAMES, '--bytes', '32', '--json']);
  assert.equal(result.status, 0, result.stderr);
  const data = JSON.parse(result.stdout) as Record<string, unknown>;
  assert.equal(data.type, 'totp');
  assert.equal(data.issuer, 'Example');
  assert.equal(data.account, 'alice@example.com');
  assert.match(String(data.secret), /^[A-Z2-7]{52}$/, '32 bytes = 52 base32 characters');
  assert.equal(readKeyURI(String(data.uri)).params.secret, data.secret);
  assert.equal(data.periodSeconds, 30);
});

test('keygen --hotp writes a counter, not a period', async () => {
  const result = await twofa(['keygen', ...NAMES, '--hotp', '--counter', '5', '--json']);
  assert.equal(result.status, 0, result.stderr);
  const data = JSON.parse(result.stdout) as Record<string, unknown>;
  const key = readKeyURI(String(data.uri));
  assert.equal(key.type, 'hotp');
  assert.equal(key.params.counter, '5');
  assert.equal(key.params.period, undefined);
  assert.equal(data.counter, 5);
});

test('keygen warns about parameters some apps ignore, and still makes the key', async () => {
  const result = await twofa([
    'keygen',
    ...NAMES,
    '--algorithm',
    'sha256',
    '--digits',
    '8',
    '--period',
    '60',
  ]);
  assert.equal(result.status, 0);
  assert.match(
    result.stderr,
    /^twofa: warning: some authenticator apps ignore algorithm SHA256, 8 digits, a 60 s period/,
  );
  const { params } = readKeyURI(parseOutput(result.stdout).uri);
  assert.deepEqual([params.algorithm, params.digits, params.period], ['SHA256', '8', '60']);
});

test('keygen --key-file saves the URI readable only by its owner, and never overwrites without --force', async () => {
  const dir = tempDir();
  const keyFile = join(dir, 'alice.key');
  const first = await twofa(['keygen', ...NAMES, '--key-file', keyFile]);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(readFileSync(keyFile, 'utf8'), `${parseOutput(first.stdout).uri}\n`);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);

  const again = await twofa(['keygen', ...NAMES, '--key-file', keyFile]);
  assertUsageError(again, [], /alice\.key already exists; pass --force/);
  assert.equal(readFileSync(keyFile, 'utf8'), `${parseOutput(first.stdout).uri}\n`, 'the old key is intact');

  writeFileSync(keyFile, 'old', { mode: 0o644 });
  const forced = await twofa(['keygen', ...NAMES, '--key-file', keyFile, '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(readFileSync(keyFile, 'utf8'), `${parseOutput(forced.stdout).uri}\n`);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600, '--force also tightens the mode');
});

test('keygen writes nothing when one of its files already exists: no key file holding a key never shown', async () => {
  const dir = tempDir();
  const keyFile = join(dir, 'new.key');
  const image = join(dir, 'taken.png');
  writeFileSync(image, 'keep me');
  const result = await twofa(['keygen', ...NAMES, '--key-file', keyFile, '--qr', image]);
  assertUsageError(result, [], /taken\.png already exists; pass --force/);
  assert.equal(existsSync(keyFile), false, 'the key file must not be left behind');
  assert.equal(readFileSync(image, 'utf8'), 'keep me');
});

test('keygen --key-file relative to the working directory, then code reads it back', async () => {
  const dir = tempDir();
  const made = await twofa(['keygen', ...NAMES, '--key-file', 'k.key'], { cwd: dir });
  assert.equal(made.status, 0, made.stderr);
  const code = await twofa(['code', '--key-file', 'k.key'], { cwd: dir });
  assert.equal(code.status, 0, code.stderr);
  assert.match(code.stdout, /^\d{6}\n$/);
});

test('keygen --qr FILE.png: zbarimg reads back exactly the printed URI', {
  skip: skipUnlessTool('zbarimg'),
}, async () => {
  const dir = tempDir();
  const png = join(dir, 'alice.png');
  const result = await twofa([
    'keygen',
    '--issuer',
    'ACME Co',
    '--account',
    'bob+2fa@example.com',
    '--qr',
    png,
  ]);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(zbarimg(png), parseOutput(result.stdout).uri);
  assert.equal(statSync(png).mode & 0o777, 0o600, 'the image holds the secret');
});

test('keygen --qr FILE.svg writes an SVG image', async () => {
  const dir = tempDir();
  const svg = join(dir, 'alice.svg');
  const result = await twofa(['keygen', ...NAMES, '--qr', svg]);
  assert.equal(result.status, 0, result.stderr);
  const text = readFileSync(svg, 'utf8');
  assert.match(text, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(text, /<path [^>]*d="M/);
});

test('keygen refuses bad parameters with one line and exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['--account', 'a'], /needs --issuer/],
    [['--issuer', 'Example'], /needs --account/],
    [[...NAMES, '--bytes', '8'], /--bytes must be a whole number from 16 to 128/],
    [[...NAMES, '--digits', '5'], /--digits must be a whole number from 6 to 10/],
    [[...NAMES, '--algorithm', 'MD5'], /--algorithm must be SHA1, SHA256 or SHA512/],
    [[...NAMES, '--period', '0'], /--period must be/],
    [[...NAMES, '--qr', 'x.jpg'], /must end in \.png or \.svg/],
    [['--issuer', 'Ex:ample', '--account', 'a'], /INVALID_KEY_URI/],
    [[...NAMES, 'extra'], /takes no arguments/],
  ];
  const results = await Promise.all(cases.map(([args]) => twofa(['keygen', ...args])));
  for (const [index, result] of results.entries()) assertUsageError(result, [], cases[index]![1]);
});
