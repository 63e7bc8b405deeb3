/** twofa code: every secret source gives the same code, codes agree with oathtool, the secret never shows. */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertNotLeaked, assertUsageError, seededRandom, tempDir, testSeed, twofa } from './support/cli.ts';
import { base32, hex, randomBytes } from './support/encoding.ts';
import { oathtool, skipUnlessTool } from './support/tools.ts';

const SECRET = 'JBSWY3DPEHPK3PXP';
const URI = `otpauth://totp/Example:alice?secret=${SECRET}&issuer=Example`;
/** oathtool --totp -b --now @1700000000 JBSWY3DPEHPK3PXP */
const CODE_AT_1700000000 = '324550';

test('code --time prints the code alone on one line', async () => {
  const result = await twofa(['code', SECRET, '--time', '1700000000']);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, `${CODE_AT_1700000000}\n`);
  assert.equal(result.stderr, '');
});

test('every secret source gives the same code, and none prints the secret', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'plain.key'), `${SECRET}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'uri.key'), `${URI}\n`, { mode: 0o600 });
  const time = ['--time', '1700000000'];
  const sources: [string, Promise<import('./support/cli.ts').CliResult>][] = [
    ['positional', twofa(['code', SECRET, ...time])],
    ['stdin', twofa(['code', '-', ...time], { input: `${SECRET}\n` })],
    ['stdin URI', twofa(['code', '-', ...time], { input: URI })],
    ['TWOFA_SECRET', twofa(['code', ...time], { env: { TWOFA_SECRET: SECRET } })],
    ['TWOFA_SECRET URI', twofa(['code', ...time], { env: { TWOFA_SECRET: URI } })],
    ['--key-file base32', twofa(['code', '--key-file', 'plain.key', ...time], { cwd: dir })],
    ['--key-file URI', twofa(['code', '--key-file', join(dir, 'uri.key'), ...time])],
    ['--uri', twofa(['code', '--uri', URI, ...time])],
    ['lower case, spaced', twofa(['code', '-', ...time], { input: 'jbsw y3dp ehpk 3pxp' })],
    // an explicit source wins over the environment
    [
      '--key-file over TWOFA_SECRET',
      twofa(['code', '--key-file', 'plain.key', ...time], {
        cwd: dir,
        env: { TWOFA_SECRET: 'AAAAAAAAAAAAAAAA' },
      }),
    ],
  ];
  for (const [name, pending] of sources) {
    const result = await pending;
    assert.equal(result.status, 0, `${name}: ${result.stderr}`);
    assert.equal(result.stdout, `${CODE_AT_1700000000}\n`, name);
    assert.equal(result.stderr, '', name);
    assertNotLeaked(result, SECRET);
  }
});

test('code with no --time gives the current code (checked by verify with window 1)', async () => {
  const result = await twofa(['code'], { env: { TWOFA_SECRET: SECRET } });
  assert.equal(result.status, 0, result.stderr);
  const check = await twofa(['verify', result.stdout.trim(), '--window', '1'], {
    env: { TWOFA_SECRET: SECRET },
  });
  assert.equal(check.status, 0, check.stdout);
});

test('code --json gives the code, the period and the seconds left', async () => {
  const result = await twofa(['code', SECRET, '--time', '1700000000', '--json']);
  assert.equal(result.status, 0, result.stderr);
  // 1700000000 = 56666666 * 30 + 20: 10 seconds left
  assert.deepEqual(JSON.parse(result.stdout), {
    code: CODE_AT_1700000000,
    periodSeconds: 30,
    remainingSeconds: 10,
  });
});

test('a group- or world-readable key file draws a warning, not a refusal', async () => {
  const dir = tempDir();
  const file = join(dir, 'shared.key');
  writeFileSync(file, SECRET);
  chmodSync(file, 0o644);
  const result = await twofa(['code', '--key-file', file, '--time', '1700000000']);
  assert.equal(result.status, 0);
  assert.equal(result.stdout, `${CODE_AT_1700000000}\n`);
  assert.match(result.stderr, /^twofa: warning: .*shared\.key is readable by other users; run chmod 600/);
});

test('TOTP codes agree with oathtool for random seeded parameters', {
  skip: skipUnlessTool('oathtool'),
}, async () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  const algorithms = ['SHA1', 'SHA256', 'SHA512'] as const;
  const cases = Array.from({ length: 16 }, () => {
    const bytes = randomBytes(random, [10, 16, 20, 32, 64][Math.floor(random() * 5)]!);
    return {
      bytes,
      algorithm: algorithms[Math.floor(random() * 3)]!,
      digits: 6 + Math.floor(random() * 3), // oathtool prints 6 to 8 digits
      period: [30, 30, 60, 15, 1, 3600][Math.floor(random() * 6)]!,
      time: Math.floor(random() * 4_000_000_000),
    };
  });
  const results = await Promise.all(
    cases.map((c) =>
      twofa(
        [
          'code',
          '-',
          '--time',
          String(c.time),
          '--algorithm',
          c.algorithm,
          '--digits',
          String(c.digits),
          '--period',
          String(c.period),
        ],
        { input: base32(c.bytes) },
      ),
    ),
  );
  for (const [index, c] of cases.entries()) {
    const expected = oathtool([
      `--totp=${c.algorithm.toLowerCase()}`,
      `--digits=${c.digits}`,
      `--time-step-size=${c.period}s`,
      `--now=@${c.time}`,
      hex(c.bytes),
    ]);
    const label = `seed ${seed} case ${index}: ${JSON.stringify({ ...c, bytes: c.bytes.length })}`;
    assert.equal(results[index]!.stderr, '', label);
    assert.equal(results[index]!.stdout, `${expected}\n`, label);
  }
});

test('HOTP codes agree with oathtool -c', { skip: skipUnlessTool('oathtool') }, async () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  const cases = Array.from({ length: 8 }, () => ({
    bytes: randomBytes(random, 20),
    counter: Math.floor(random() * 2 ** 40),
    digits: 6 + Math.floor(random() * 3),
  }));
  const results = await Promise.all(
    cases.map((c) =>
      twofa(['code', '--hotp', '--counter', String(c.counter), '--digits', String(c.digits)], {
        env: { TWOFA_SECRET: base32(c.bytes) },
      }),
    ),
  );
  for (const [index, c] of cases.entries()) {
    const expected = oathtool(['--hotp', `--counter=${c.counter}`, `--digits=${c.digits}`, hex(c.bytes)]);
    assert.equal(results[index]!.stdout, `${expected}\n`, `seed ${seed} case ${index}`);
  }
});

test('an HOTP key URI supplies its own counter; --counter overrides it', async () => {
  const uri = `otpauth://hotp/Example:alice?secret=${SECRET}&counter=1`;
  const [fromURI, overridden] = await Promise.all([
    twofa(['code', '-', '--json'], { input: uri }),
    twofa(['code', '-', '--counter', '0'], { input: uri }),
  ]);
  // RFC 4226 style check against oathtool's known values for this secret: counter 1 -> 996554, 0 -> 282760
  assert.deepEqual(JSON.parse(fromURI.stdout), { code: '996554', counter: 1 });
  assert.equal(overridden.stdout, '282760\n');
});

test('malformed input: exit 2, one line naming the problem, no stack, no secret', async () => {
  const bad = 'JBSWY3DPEHPK3PX1';
  const cases: [string[], { input?: string; env?: Record<string, string> }, RegExp][] = [
    [['code', bad], {}, /the SECRET argument: INVALID_BASE32/],
    [['code', '-'], { input: bad }, /^twofa: stdin: INVALID_BASE32/],
    [['code'], { env: { TWOFA_SECRET: bad } }, /^twofa: TWOFA_SECRET: INVALID_BASE32/],
    [['code', '-'], { input: '' }, /stdin is empty/],
    [['code', '-'], { input: `${SECRET}\n${SECRET}\n` }, /stdin holds 2 lines/],
    [['code'], {}, /no secret: pass SECRET, - to read it from stdin, --key-file FILE, or set TWOFA_SECRET/],
    [['code', SECRET, '--uri', URI], {}, /give the secret one way only/],
    [
      ['code', '--key-file', '/nonexistent/k.key'],
      {},
      /cannot read --key-file \/nonexistent\/k\.key: no such file/,
    ],
    [['code', '--uri', SECRET], {}, /--uri must be an otpauth:\/\/ URI/],
    [['code', '--uri', `otpauth://totp/x?secret=${SECRET}&digits=12`], {}, /INVALID_DIGITS/],
    [['code', '--uri', `otpauth://totp/x?secret=${SECRET}&algorithm=MD5`], {}, /UNSUPPORTED_ALGORITHM/],
    [['code', SECRET, '--time', 'yesterday'], {}, /--time must be Unix time in seconds/],
    [['code', SECRET, '--hotp'], {}, /HOTP needs --counter N/],
    [['code', SECRET, '--counter', '-1'], {}, /--counter/],
    [
      ['code', SECRET, '--counter', '18446744073709551616'],
      {},
      /--counter must be a whole number from 0 to 2\^64-1/,
    ],
    [['code', SECRET, '--hotp', '--period', '60', '--counter', '1'], {}, /--period applies to TOTP/],
    [['code', SECRET, '--counter', '1', '--watch'], {}, /--watch shows TOTP codes/],
    [
      ['code', 'otpauth-migration://offline?data=AA'],
      {},
      /Google Authenticator export; list its accounts with twofa import/,
    ],
    [['code', SECRET, SECRET], {}, /too many arguments/],
  ];
  const results = await Promise.all(cases.map(([args, options]) => twofa(args, options)));
  for (const [index, result] of results.entries()) {
    const [args, , mentions] = cases[index]!;
    assert.doesNotThrow(() => assertUsageError(result, [SECRET, bad], mentions), `case ${args.join(' ')}`);
  }
});

test('--debug adds the stack trace', async () => {
  const result = await twofa(['code', 'JBSWY3DPEHPK3PX1', '--debug']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^twofa: the SECRET argument: INVALID_BASE32/);
  assert.match(result.stderr, /\n\s+at /);
  assert.match(result.stderr, /OTPError: INVALID_BASE32/, 'the cause is shown too');
});
