/** twofa verify: exit 0 with the delta when the code is valid, exit 1 when not, exit 2 for bad input. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertNotLeaked, assertUsageError, tempDir, twofa } from './support/cli.ts';
import { oathtool, skipUnlessTool } from './support/tools.ts';

const SECRET = 'JBSWY3DPEHPK3PXP';
const T = 1_700_000_000; // step 56666666, 20 s into it
const env = { TWOFA_SECRET: SECRET };

/** The code for `time`, by our own `code` command (its agreement with oathtool is code.test.ts's job). */
async function codeAt(time: number, extra: string[] = []): Promise<string> {
  const result = await twofa(['code', '--time', String(time), ...extra], { env });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

test('the current code is valid (delta 0) and nothing secret is printed', async () => {
  const code = await codeAt(T);
  const result = await twofa(['verify', code, '--time', String(T)], { env });
  assert.equal(result.status, 0);
  assert.equal(result.stdout, 'valid (delta 0)\n');
  assert.equal(result.stderr, '');
  assertNotLeaked(result, SECRET);
  assertNotLeaked(result, code);
});

test('the previous and next steps are valid within the default window, with their delta', async () => {
  const [previous, next] = await Promise.all([codeAt(T - 30), codeAt(T + 30)]);
  const [a, b] = await Promise.all([
    twofa(['verify', previous, '--time', String(T)], { env }),
    twofa(['verify', next, '--time', String(T)], { env }),
  ]);
  assert.deepEqual([a.status, a.stdout], [0, 'valid (delta -1)\n']);
  assert.deepEqual([b.status, b.stdout], [0, 'valid (delta 1)\n']);
});

test('a code two steps old is invalid by default (exit 1) and valid with --window 2', async () => {
  const old = await codeAt(T - 60);
  const [strict, wide] = await Promise.all([
    twofa(['verify', old, '--time', String(T)], { env }),
    twofa(['verify', old, '--time', String(T), '--window', '2'], { env }),
  ]);
  assert.deepEqual([strict.status, strict.stdout, strict.stderr], [1, 'invalid\n', '']);
  assert.deepEqual([wide.status, wide.stdout], [0, 'valid (delta -2)\n']);
});

test('--window 0 accepts only the current step', async () => {
  const [now, previous] = await Promise.all([codeAt(T), codeAt(T - 30)]);
  const [a, b] = await Promise.all([
    twofa(['verify', now, '--time', String(T), '--window', '0'], { env }),
    twofa(['verify', previous, '--time', String(T), '--window', '0'], { env }),
  ]);
  assert.equal(a.status, 0);
  assert.equal(b.status, 1);
});

test('a wrong code is invalid, exit 1', async () => {
  const code = await codeAt(T);
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  const result = await twofa(['verify', wrong, '--time', String(T)], { env });
  assert.equal(result.status, 1);
  assert.equal(result.stdout, 'invalid\n');
});

test('codes typed with a space, as apps show them, are accepted', async () => {
  const code = await codeAt(T);
  const result = await twofa(['verify', `${code.slice(0, 3)} ${code.slice(3)}`, '--time', String(T)], {
    env,
  });
  assert.equal(result.status, 0);
});

test('a code typed in groups without quotes (twofa verify 123 456), as apps show it, is one code', async () => {
  const code = await codeAt(T);
  const [a, b] = [code.slice(0, 3), code.slice(3)];
  const dir = tempDir();
  writeFileSync(join(dir, 'k.key'), `${SECRET}\n`, { mode: 0o600 });
  const fullWidth = String.fromCharCode(...[...b].map((c) => c.charCodeAt(0) + 0xfee0));
  const results = await Promise.all([
    twofa(['verify', a, b, '--time', String(T)], { env }),
    twofa(['verify', a, b, SECRET, '--time', String(T)]),
    twofa(['verify', a, b, '-', '--time', String(T)], { input: SECRET }),
    twofa(['verify', a, b, '--key-file', 'k.key', '--time', String(T)], { cwd: dir }),
    twofa(['verify', code.slice(0, 2), code.slice(2, 4), code.slice(4), '--time', String(T)], { env }),
    twofa(['verify', `${a}-${b}`, '--time', String(T)], { env }),
    twofa(['verify', a, fullWidth, '--time', String(T)], { env }),
  ]);
  for (const [index, result] of results.entries()) {
    assert.deepEqual(
      [result.status, result.stdout, result.stderr],
      [0, 'valid (delta 0)\n', ''],
      `case ${index}`,
    );
  }
  // The groups are still checked as one code: a wrong group is a wrong code, not a secret.
  const wrongB = String((Number(b) + 1) % 1000).padStart(3, '0');
  const wrong = await twofa(['verify', a, wrongB, '--time', String(T)], { env });
  assert.deepEqual([wrong.status, wrong.stdout], [1, 'invalid\n']);
  const extra = await twofa(['verify', a, b, SECRET, 'extra', '--time', String(T)]);
  assertUsageError(extra, [SECRET, code], /too many arguments: verify takes CODE and at most one SECRET/);
});

test('a code of the wrong length is invalid (exit 1) with a hint on stderr that does not echo it', async () => {
  const result = await twofa(['verify', '12345678', '--time', String(T)], { env });
  assert.equal(result.status, 1);
  assert.equal(result.stdout, 'invalid\n');
  assert.match(result.stderr, /the code has 8 digits; this key makes 6-digit codes/);
  assert.ok(!result.stderr.includes('12345678'));
});

test('--json reports valid, delta and step; or just valid: false', async () => {
  const code = await codeAt(T - 30);
  const [valid, invalid] = await Promise.all([
    twofa(['verify', code, '--time', String(T), '--json'], { env }),
    twofa(['verify', '000000', '--time', String(T + 3600), '--json'], { env }),
  ]);
  assert.deepEqual(JSON.parse(valid.stdout), { valid: true, delta: -1, step: 56666665 });
  assert.equal(invalid.status, 1);
  assert.deepEqual(JSON.parse(invalid.stdout), { valid: false });
});

test('the secret can come second on the command line, from stdin, or from a key file', async () => {
  const code = await codeAt(T);
  const dir = tempDir();
  writeFileSync(join(dir, 'k.key'), `otpauth://totp/Example:alice?secret=${SECRET}\n`, { mode: 0o600 });
  const results = await Promise.all([
    twofa(['verify', code, SECRET, '--time', String(T)]),
    twofa(['verify', code, '-', '--time', String(T)], { input: SECRET }),
    twofa(['verify', code, '--key-file', 'k.key', '--time', String(T)], { cwd: dir }),
  ]);
  for (const result of results) {
    assert.deepEqual([result.status, result.stdout, result.stderr], [0, 'valid (delta 0)\n', '']);
  }
});

test('HOTP: a code ahead of the counter is found within --window and the next counter is named', {
  skip: skipUnlessTool('oathtool'),
}, async () => {
  const code = oathtool(['-b', '--hotp', '--counter=7', SECRET]);
  const [found, missed, json] = await Promise.all([
    twofa(['verify', code, '--counter', '5', '--window', '3'], { env }),
    twofa(['verify', code, '--counter', '5'], { env }),
    twofa(['verify', code, '--hotp', '--counter', '5', '--window', '2', '--json'], { env }),
  ]);
  assert.deepEqual([found.status, found.stdout], [0, 'valid (delta 2, counter 7; next counter 8)\n']);
  assert.deepEqual([missed.status, missed.stdout], [1, 'invalid\n']);
  assert.deepEqual(JSON.parse(json.stdout), { valid: true, delta: 2, counter: 7, nextCounter: 8 });
});

test('TOTP codes from oathtool verify, SHA512 and 8 digits included', {
  skip: skipUnlessTool('oathtool'),
}, async () => {
  const code = oathtool(['-b', '--totp=sha512', '--digits=8', '--time-step-size=60s', `--now=@${T}`, SECRET]);
  const result = await twofa(
    ['verify', code, '--algorithm', 'SHA512', '--digits', '8', '--period', '60', '--time', String(T)],
    { env },
  );
  assert.equal(result.stdout, 'valid (delta 0)\n');
});

test('malformed input is exit 2, one line, and echoes neither code nor secret', async () => {
  const cases: [string[], RegExp][] = [
    [['verify'], /verify needs the CODE/],
    [['verify', '12a4b6'], /CODE must be digits only/],
    [['verify', '123456', '--window', 'x'], /--window must be a whole number from 0 to 100/],
    [['verify', '123456', '--window', '101'], /--window must be a whole number/],
    [['verify', '123456', '--counter', '1', '--time', '5'], /--time applies to TOTP/],
    [['verify', '123456', 'JBSWY3DPEHPK3PX1'], /INVALID_BASE32/],
  ];
  const results = await Promise.all(cases.map(([args]) => twofa(args, { env })));
  for (const [index, result] of results.entries()) {
    assertUsageError(result, [SECRET, '12a4b6', 'JBSWY3DPEHPK3PX1'], cases[index]![1]);
  }
});
