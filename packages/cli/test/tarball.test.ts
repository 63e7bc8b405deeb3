// `twofa` as someone gets it without the repository: the three packages packed by their own prepack and
// installed together with `npm install -g --prefix` into a scratch directory. The threat: packages that only
// work inside the repository (issue #8: a bin pointing at .ts under node_modules, tests shipped, static
// files left behind).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateTOTP } from '@twofa/otp';
import { type Packed, packWorkspaces } from '../../otp/test/support/pack.ts';

let dir: string;
let otp: Packed;
let server: Packed;
let cli: Packed;
let twofa: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'twofa-tarball-'));
  [otp, server, cli] = packWorkspaces(['otp', 'server', 'cli'], dir) as [Packed, Packed, Packed];
  const prefix = join(dir, 'global');
  const install = spawnSync(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      // The workspace's npm ci has cached the server's dependencies: no network needed after that.
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      otp.tarball,
      server.tarball,
      cli.tarball,
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  assert.equal(install.status, 0, install.stderr);
  twofa = join(prefix, 'bin', 'twofa');
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the tarballs hold dist/, and neither tests nor benchmarks', () => {
  for (const packed of [otp, server, cli]) {
    assert.ok(packed.files.includes('dist/index.js'), `${packed.tarball} has no dist/index.js`);
    assert.deepEqual(
      packed.files.filter((file) => /^(test|bench)\/|tsbuildinfo/.test(file)),
      [],
    );
  }
  assert.ok(cli.files.includes('bin/twofa.js') && cli.files.includes('dist/bin.js'));
  assert.ok(server.files.includes('dist/static/app.css') && server.files.includes('dist/static/copy.js'));
});

test('twofa code runs from the installed packages', () => {
  const result = spawnSync(twofa, ['code', '--time', '59'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', TWOFA_SECRET: 'JBSWY3DPEHPK3PXP' },
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, `${generateTOTP({ secret: 'JBSWY3DPEHPK3PXP', nowMs: 59_000 })}\n`);
});

test('twofa serve runs from the installed packages: a page and its static files, then Ctrl-C', async () => {
  const child = spawn(twofa, ['serve', '--port', '0', '--data-dir', join(dir, 'data')], {
    env: { PATH: process.env.PATH ?? '', TWOFA_LOG: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(stderr);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('exit', (status) => reject(new Error(`twofa serve exited ${status}: ${stderr}`)));
    });
    const home = await fetch(url);
    assert.equal(home.status, 200);
    for (const [file, type] of [
      ['app.css', 'text/css'],
      ['copy.js', 'text/javascript'],
    ] as const) {
      const response = await fetch(`${url}/static/${file}`);
      assert.equal(response.status, 200, file);
      assert.match(response.headers.get('content-type') ?? '', new RegExp(`^${type}`));
      assert.ok((await response.text()).length > 0, `${file} is empty`);
    }
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0);
});
