/** twofa serve: a light check that the command starts @twofa/server, answers HTTP, and stops on Ctrl-C. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertUsageError, BIN, tempDir, twofa } from './support/cli.ts';

const SERVER_INDEX = fileURLToPath(new URL('../../server/src/index.ts', import.meta.url));

function serverSkipReason(): false | string {
  try {
    if (/export\s+async\s+function\s+serve\b/.test(readFileSync(SERVER_INDEX, 'utf8'))) return false;
  } catch {
    // missing file: skip below
  }
  return '@twofa/server does not export serve() yet';
}

test('twofa serve --port 0 --workers 2 listens, answers, and exits 0 on SIGINT (workers too)', {
  skip: serverSkipReason(),
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', 'data', '--workers', '2'],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, TWOFA_LOG: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /twofa serve: listening on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (status) => reject(new Error(`serve exited early (${status}): ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(url, /:0$/, 'the URL names the port actually bound');
    assert.match(stderr, /listening on \S+ \(Ctrl-C to stop, 2 workers\)/);
    const response = await fetch(url, { redirect: 'manual' });
    assert.ok(response.status < 500, `GET / answered ${response.status}`);
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, stderr);
});

test('serve: bad flags and bad configuration are one-line usage errors', {
  skip: serverSkipReason(),
}, async () => {
  const dir = tempDir();
  const [port, issuer, workers] = await Promise.all([
    twofa(['serve', '--port', '70000'], { cwd: dir }),
    twofa(['serve', '--port', '0', '--data-dir', 'd'], {
      cwd: dir,
      env: { TWOFA_ISSUER: 'a:b', TWOFA_LOG: '0' },
    }),
    twofa(['serve', '--workers', '0'], { cwd: dir }),
  ]);
  assertUsageError(port, [], /--port must be a whole number from 0 to 65535/);
  assertUsageError(issuer, [], /TWOFA_ISSUER/);
  assertUsageError(workers, [], /--workers must be a whole number from 1 to 256/);
});

test('serve on a busy port names the port and the two ways to change it (--port, TWOFA_PORT)', {
  skip: serverSkipReason(),
}, async () => {
  const busy: Server = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const { port } = busy.address() as { port: number };
  try {
    const dir = tempDir();
    const env = { TWOFA_LOG: '0' };
    const [flag, variable] = await Promise.all([
      twofa(['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', 'a'], { cwd: dir, env }),
      twofa(['serve', '--data-dir', 'b'], {
        cwd: dir,
        env: { ...env, TWOFA_HOST: '127.0.0.1', TWOFA_PORT: String(port) },
      }),
    ]);
    for (const result of [flag, variable]) {
      // The service's start-up log (JSON lines: migrations, master key) may come first; the error ends it.
      assert.equal(result.status, 2, result.stderr);
      assert.equal(result.stdout, '');
      const last = result.stderr.trimEnd().split('\n').at(-1)!;
      assert.match(
        last,
        new RegExp(
          `^twofa: port ${port} on 127\\.0\\.0\\.1 is already in use \\(EADDRINUSE\\): .*--port or TWOFA_PORT`,
        ),
      );
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    // --data-dir is relative to the command's directory, wherever the process runs.
    assert.ok(existsSync(join(dir, 'a')), 'the data directory is created under the working directory');
  } finally {
    busy.close();
  }
});
