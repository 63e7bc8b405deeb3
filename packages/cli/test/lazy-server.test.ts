// `twofa code` must not pay for the web service: the server and its dependencies (hono, kysely, pg) load
// only when `twofa serve` runs. Each run records every module the process loads (support/record-modules.mjs);
// `twofa serve` is the control that proves the recording sees the server when it is there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, tempDir } from './support/cli.ts';

const RECORDER = fileURLToPath(new URL('./support/record-modules.mjs', import.meta.url));
const LAUNCHER = join(REPO_ROOT, 'packages', 'cli', 'bin', 'twofa.js');
const SERVER_WEIGHT = /\/(packages\/server|node_modules\/(hono|@hono\/node-server|kysely|pg|pg-[a-z-]+))\//;

/** Runs `twofa ...args` and returns its exit status and the URLs of every module it loaded. */
function loadedModules(args: string[], env: Record<string, string> = {}) {
  const record = join(tempDir(), 'modules.txt');
  const result = spawnSync(process.execPath, ['--import', RECORDER, LAUNCHER, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', TWOFA_RECORD_MODULES: record, ...env },
  });
  const urls = readFileSync(record, 'utf8').split('\n').filter(Boolean);
  return { status: result.status, stderr: result.stderr, urls };
}

test('twofa code loads @twofa/otp but not the server, hono, kysely or pg', () => {
  const { status, stderr, urls } = loadedModules(['code', '--time', '59'], {
    TWOFA_SECRET: 'JBSWY3DPEHPK3PXP',
  });
  assert.equal(status, 0, stderr);
  assert.ok(
    urls.some((url) => url.includes('/packages/otp/src/')),
    'the recording saw @twofa/otp',
  );
  assert.deepEqual(
    urls.filter((url) => SERVER_WEIGHT.test(url)),
    [],
  );
});

test('control: twofa serve does load the server and its dependencies', () => {
  // A public URL with a path is refused by the server's config, after the server has loaded.
  const { status, stderr, urls } = loadedModules(['serve'], { TWOFA_PUBLIC_URL: 'https://example.com/2fa' });
  assert.equal(status, 2, stderr);
  for (const name of ['packages/server', 'node_modules/hono', 'node_modules/kysely', 'node_modules/pg']) {
    assert.ok(
      urls.some((url) => url.includes(`/${name}/`)),
      `${name} was not loaded`,
    );
  }
});
