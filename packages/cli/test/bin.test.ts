/**
 * The real binary, spawned as a user's shell runs it: what in-process tests cannot show. The exit status
 * reaches the shell (0 valid, 1 invalid, 2 usage error), errors are one line without a stack unless
 * --debug, a piped secret is read from stdin, and at a terminal `-` prompts without echoing the secret.
 * (Also spawned: broken-pipe.test.ts, serve.test.ts's SIGINT case, help.test.ts's npx bin link.)
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { generateTOTP } from '@twofa/otp';
import { assertNotLeaked, assertUsageError, BIN, spawnTwofa } from './support/cli.ts';

const SECRET = 'JBSWY3DPEHPK3PXP';
const TIME = '1700000000';

test('exit status reaches the shell: 0 for a valid code, 1 for an invalid one, 2 for a usage error', async () => {
  const code = generateTOTP({ secret: SECRET, nowMs: Number(TIME) * 1000 });
  const wrong = String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');
  const [valid, invalid, usage] = await Promise.all([
    spawnTwofa(['verify', code, '-', '--time', TIME], { input: `${SECRET}\n` }),
    spawnTwofa(['verify', wrong, '-', '--time', TIME], { input: `${SECRET}\n` }),
    spawnTwofa(['verify', code, '--time', TIME], { env: { TWOFA_SECRET: 'JBSWY3D1' } }),
  ]);
  assert.equal(valid.status, 0, valid.stderr);
  assert.equal(valid.stdout, 'valid (delta 0)\n');
  assert.equal(invalid.status, 1, invalid.stderr);
  assert.equal(invalid.stdout, 'invalid\n');
  assertUsageError(usage, [SECRET, code], /TWOFA_SECRET: INVALID_BASE32/);
});

test('--debug adds the stack trace to an error; without it there is none', async () => {
  const result = await spawnTwofa(['code', 'JBSWY3DPEHPK3PX1', '--debug']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^twofa: the SECRET argument: INVALID_BASE32/);
  assert.match(result.stderr, /\n\s+at /);
});

const scriptMissing =
  spawnSync('script', ['--version']).status === 0 ? false : 'script (util-linux) is missing';

test('at a terminal, `-` prompts for the secret on stderr and does not echo it', {
  skip: scriptMissing,
  timeout: 30_000,
}, async () => {
  // script(1) gives the child a pseudo-terminal, as a user's shell would.
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} code - --time ${TIME}`;
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: 'pipe' });
  let output = '';
  let typed = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    if (!typed && /Secret[^:]*: /.test(output)) {
      typed = true;
      child.stdin.write(`${SECRET}\r`);
    }
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(status, 0, output);
  assert.ok(typed, `no prompt: ${output}`);
  assert.match(output, new RegExp(`\\b${generateTOTP({ secret: SECRET, nowMs: Number(TIME) * 1000 })}\\b`));
  assertNotLeaked({ status, stdout: output, stderr: '' }, SECRET);
});
