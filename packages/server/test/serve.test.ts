// serve(): the real server on a free port, reached over HTTP, and main.ts as `npm start` runs it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { serve } from '../src/index.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'twofa-serve-'));
  dirs.push(dir);
  return dir;
}

test('serve on port 0: the URL names the bound port, pages and forms work over HTTP, close() is clean', async () => {
  const dir = await tempDir();
  const lines: string[] = [];
  const server = await serve({
    env: { TWOFA_PORT: '0', TWOFA_DATA_DIR: dir },
    log: (line) => lines.push(line),
  });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(server.url, 'http://127.0.0.1:0');
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', database: { kind: 'sqlite', ok: true } });

    // The CSRF origin check accepts the real origin (the public URL was fixed up with the bound port).
    const form = await fetch(`${server.url}/signup`);
    const cookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
    const token = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const created = await fetch(`${server.url}/signup`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Origin: server.url, Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: token, email: 'served@example.com', password: 'a good password' }),
    });
    assert.equal(created.status, 200);
    assert.match(await created.text(), /Check your email/);
    assert.equal((await stat(join(dir, 'master.key'))).mode & 0o777, 0o600);
    assert.ok(lines.some((line) => JSON.parse(line).event === 'listening'));
  } finally {
    await server.close();
  }
  // No SMTP configured: the verification message is in the outbox (written before close() returned), and
  // the log line says where, never to whom.
  const outbox = (await readdir(join(dir, 'outbox'))).filter((f) => f.endsWith('.eml'));
  assert.equal(outbox.length, 1);
  const written = lines.map((line) => JSON.parse(line)).find((e) => e.event === 'message.outbox');
  assert.equal(written?.path, join(dir, 'outbox', outbox[0]!));
  assert.ok(!lines.join('\n').includes('served@example.com'), 'no address in the log');
  await server.close(); // twice is fine
  await assert.rejects(fetch(`${server.url}/healthz`), 'no longer listening');
});

test('TWOFA_PUBLIC_URL is kept as given even with port 0', async () => {
  const dir = await tempDir();
  const server = await serve({
    env: { TWOFA_PORT: '0', TWOFA_DATA_DIR: dir, TWOFA_PUBLIC_URL: 'https://2fa.example.com' },
    log: () => {},
  });
  try {
    assert.equal(server.url, 'https://2fa.example.com');
  } finally {
    await server.close();
  }
});

test('listening on all interfaces without a public URL logs a warning', async () => {
  const dir = await tempDir();
  const lines: string[] = [];
  const server = await serve({
    env: { TWOFA_HOST: '0.0.0.0', TWOFA_PORT: '0', TWOFA_DATA_DIR: dir },
    log: (line) => lines.push(line),
  });
  try {
    assert.ok(lines.some((line) => JSON.parse(line).event === 'config.warning'));
  } finally {
    await server.close();
  }
});

test('a bad variable: ConfigError before anything listens', async () => {
  await assert.rejects(serve({ env: { TWOFA_PORT: 'eighty' }, log: () => {} }), {
    name: 'ConfigError',
    message: /TWOFA_PORT/,
  });
});

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

test('main.ts: prints the URL, serves, and exits 0 on SIGTERM', async () => {
  const dir = await tempDir();
  const proc = run({ TWOFA_PORT: '0', TWOFA_DATA_DIR: dir });
  let url: string | undefined;
  for (let i = 0; i < 200 && url === undefined; i++) {
    url = /listening on (http:\/\/\S+)/.exec(proc.err())?.[1];
    if (url === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(url, `no URL printed; stderr: ${proc.err()}`);
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  proc.child.kill('SIGTERM');
  assert.equal(await proc.exited, 0);
  const lines = proc.out().trim().split('\n');
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
  assert.ok(
    lines.some((line) => JSON.parse(line).event === 'request'),
    'request log on stdout',
  );
});

test('main.ts: a bad variable prints one line naming it and exits 2', async () => {
  const proc = run({ TWOFA_TOTP_WINDOW: 'wide' });
  assert.equal(await proc.exited, 2);
  const err = proc.err().trim();
  assert.equal(err.split('\n').length, 1, err);
  assert.match(err, /^twofa: TWOFA_TOTP_WINDOW /);
  assert.equal(proc.out(), '');
});
