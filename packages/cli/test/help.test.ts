/** Help, version and dispatch: every command explains itself, with an example and the safe secret sources. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertUsageError, REPO_ROOT, twofa } from './support/cli.ts';

const COMMANDS = ['keygen', 'code', 'verify', 'uri', 'qr', 'import', 'export', 'serve', 'audit'];
/** Commands that read a secret, whose help must say how to keep it out of ps and shell history. */
const SECRET_COMMANDS = ['code', 'verify', 'uri', 'qr'];

test('twofa --help lists every command and exits 0', async () => {
  const result = await twofa(['--help']);
  assert.equal(result.status, 0);
  assert.equal(result.stderr, '');
  assert.match(result.stdout, /^Usage: twofa <command>/);
  for (const name of COMMANDS) assert.match(result.stdout, new RegExp(`^  ${name} `, 'm'));
  assert.match(result.stdout, /TWOFA_SECRET/);
});

for (const name of COMMANDS) {
  test(`twofa ${name} --help has a usage line and an example`, async () => {
    const result = await twofa([name, '--help']);
    assert.equal(result.status, 0);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, new RegExp(`^Usage: twofa ${name}`));
    assert.match(result.stdout, /\nExamples?:\n {2}twofa /);
    if (SECRET_COMMANDS.includes(name)) {
      assert.match(result.stdout, /TWOFA_SECRET/);
      assert.match(result.stdout, /--key-file FILE/);
      assert.match(result.stdout, /standard input/);
      assert.match(result.stdout, /ps and (kept in )?shell history/);
    }
  });
}

test('help wins over other arguments, and `twofa help CMD` is the same text', async () => {
  const [flag, short, topic] = await Promise.all([
    twofa(['verify', '123456', '--bogus', '--help']),
    twofa(['verify', '-h']),
    twofa(['help', 'verify']),
  ]);
  assert.equal(flag.status, 0);
  assert.equal(short.stdout, flag.stdout);
  assert.equal(topic.stdout, flag.stdout);
});

test('--version prints the package version', async () => {
  const result = await twofa(['--version']);
  assert.equal(result.status, 0);
  assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('no command: usage on stderr, exit 2', async () => {
  const result = await twofa([]);
  assert.equal(result.status, 2);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^Usage: twofa/);
});

test('an unknown command is a usage error that names it', async () => {
  assertUsageError(await twofa(['codes']), [], /unknown command "codes"/);
});

test('a secret typed where the command goes is not echoed', async () => {
  assertUsageError(await twofa(['JBSWY3DPEHPK3PXP']), ['JBSWY3DPEHPK3PXP'], /unknown command/);
});

test('an unknown option is a usage error naming the option, not its value', async () => {
  const result = await twofa(['code', '--secret=JBSWY3DPEHPK3PXP']);
  assertUsageError(result, ['JBSWY3DPEHPK3PXP'], /unknown option --secret/);
});

test('npx twofa: the workspace bin link runs the command', async () => {
  const bin = join(REPO_ROOT, 'node_modules', '.bin', 'twofa');
  assert.ok(existsSync(bin), `${bin} is missing: run npm install at the repository root`);
  const result = await twofa(['--help'], { command: bin });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^Usage: twofa <command>/);
});
