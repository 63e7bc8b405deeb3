/**
 * Runs `twofa`: in-process through `run(argv, io)` (the default: most cases test what a command does, and a
 * process per case made this suite take ~40 s), or as the real binary in a child process, as a user's shell
 * would (`spawnTwofa`, or `command`), for what only a process shows: the bin, exit codes, pipes, terminals.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type IO, systemClock } from '../../src/io.ts';
import { run } from '../../src/run.ts';

export const BIN = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Run this executable instead of `node BIN` (e.g. node_modules/.bin/twofa). */
  command?: string;
}

/**
 * `twofa ...args` in this process, with what the binary would see from a pipe: stdout not a terminal, the
 * real clock, `input` as standard input, a clean environment (no TWOFA_SECRET or NO_COLOR from the caller's
 * shell unless the test passes them), `cwd` (default the temp directory). With `command` it spawns instead.
 */
export async function twofa(args: string[], options: CliOptions = {}): Promise<CliResult> {
  if (options.command !== undefined) return spawnTwofa(args, options);
  let stdout = '';
  let stderr = '';
  const io: IO = {
    stdout: {
      write(text) {
        stdout += text;
      },
    },
    stderr: {
      write(text) {
        stderr += text;
      },
    },
    stdin: { read: async () => options.input ?? '' },
    env: { ...options.env },
    isTTY: false,
    cwd: options.cwd ?? tmpdir(),
    clock: systemClock,
    stopSignal: () => new AbortController().signal,
  };
  const status = await run(args, io);
  return { status, stdout, stderr };
}

/** `twofa ...args` as a child process of the real binary (`node src/bin.ts`, or `command`). */
export function spawnTwofa(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, options.env);
  const [file, argv] =
    options.command === undefined ? [process.execPath, [BIN, ...args]] : [options.command, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env, cwd: options.cwd ?? tmpdir(), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'twofa-cli-test-'));
}

/**
 * A usage or input error as the issue asks for: exit 2, nothing on stdout, exactly one line on stderr
 * starting `twofa: `, no stack trace, and none of `secrets` (secrets, codes) echoed back.
 */
export function assertUsageError(
  result: CliResult,
  secrets: readonly string[] = [],
  mentions?: RegExp,
): void {
  assert.equal(result.status, 2, `expected exit 2, got ${result.status}; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `expected one line on stderr, got: ${result.stderr}`);
  assert.match(lines[0]!, /^twofa: \S/);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace without --debug');
  for (const secret of secrets) assertNotLeaked(result, secret);
  if (mentions) assert.match(lines[0]!, mentions);
}

/** Neither output contains `secret`, nor its base32 grouped by 4 (keygen's display form). */
export function assertNotLeaked(result: CliResult, secret: string): void {
  const grouped = secret.replace(/(.{4})(?=.)/g, '$1 ');
  for (const [name, text] of [
    ['stdout', result.stdout],
    ['stderr', result.stderr],
  ] as const) {
    assert.ok(!text.includes(secret), `${name} must not contain the secret`);
    if (grouped !== secret) assert.ok(!text.includes(grouped), `${name} must not contain the grouped secret`);
  }
}

/** mulberry32: a small seeded PRNG so randomised checks can be replayed from the printed seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed for this run: TWOFA_TEST_SEED to replay one, else a fresh one. Print it in failure messages. */
export function testSeed(): number {
  const fixed = process.env.TWOFA_TEST_SEED;
  return fixed === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(fixed);
}
