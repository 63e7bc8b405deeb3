// Where @twofa/otp runs, proved the way its users get it: packed by its own prepack (build to dist/), the
// tarball installed into a scratch project, then the same smoke checks (runtimes/smoke.js: RFC 6238 vectors,
// a key URI round trip, a migration payload round trip) in Node.js 20, 22 and 24, Deno, Bun and Chromium
// (an esbuild bundle), and a TypeScript project compiled against its declarations (nodenext and bundler).
// The threat: a package that only works inside this repository (issue #8: exports pointing at .ts files).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { packWorkspaces, REPO } from './support/pack.ts';
import { findRuntime, type Runtime } from './support/runtimes.ts';
import { skipUnlessTool } from './support/tools.ts';

const HERE = fileURLToPath(new URL('./', import.meta.url));
const TSC = join(REPO, 'node_modules', '.bin', 'tsc');

const runtimes: Record<string, Runtime> = {
  'Node.js 20': findRuntime('node20'),
  'Node.js 22': findRuntime('node22'),
  'Node.js 24': { path: process.execPath, skip: false },
  Deno: findRuntime('deno'),
  Bun: findRuntime('bun'),
};

let dir: string;
let consumer: string;
let packedFiles: readonly string[];
let tarball: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'twofa-runtimes-'));
  const [packed] = packWorkspaces(['otp'], dir);
  ({ tarball, files: packedFiles } = packed!);

  consumer = join(dir, 'consumer');
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  run('npm', ['install', '--no-audit', '--no-fund', tarball], consumer);
  const vectors = readFileSync(join(HERE, 'vectors', 'rfc6238-totp.json'), 'utf8');
  writeFileSync(join(consumer, 'vectors.js'), `export default ${vectors};\n`);
  cpSync(join(HERE, 'runtimes', 'smoke.js'), join(consumer, 'smoke.js'));
  cpSync(join(HERE, 'runtimes', 'typed.ts'), join(consumer, 'typed.ts'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the tarball holds the built JS, declarations and their maps, and no tests or benchmarks', () => {
  for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/index.d.ts.map', 'src/index.ts']) {
    assert.ok(packedFiles.includes(file), `${file} is missing from the tarball`);
  }
  const stray = packedFiles.filter((file) => /^(test|bench)\/|tsbuildinfo/.test(file));
  assert.deepEqual(stray, []);
  const installed = JSON.parse(readFileSync(join(consumer, 'node_modules/@twofa/otp/package.json'), 'utf8'));
  assert.deepEqual(installed.exports, { '.': { types: './dist/index.d.ts', default: './dist/index.js' } });
});

test('the built JS imports nothing (no node: module, no other package)', () => {
  const dist = join(consumer, 'node_modules/@twofa/otp/dist');
  const files = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.js'),
  );
  assert.ok(files.length > 5, `only ${files.length} .js files in dist`);
  for (const file of files) {
    const text = readFileSync(join(dist, file), 'utf8');
    const specifiers = [...text.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
    assert.deepEqual(
      specifiers.filter((specifier) => !specifier?.startsWith('./') && !specifier?.startsWith('../')),
      [],
      `${file} imports outside the package`,
    );
  }
});

for (const [name, runtime] of Object.entries(runtimes)) {
  test(`${name} runs the smoke checks against the installed package`, { skip: runtime.skip }, () => {
    if (runtime.skip !== false) return;
    const args = name === 'Deno' ? ['run', '--no-lock', '--quiet', 'smoke.js'] : ['smoke.js'];
    assertSmoke(
      run(runtime.path, args, consumer, { DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(dir, 'deno') }),
    );
  });
}

test('npm installs the tarball under Node.js 20 with engine-strict (its engines say >=20)', {
  skip: runtimes['Node.js 20']?.skip,
}, () => {
  const node20 = runtimes['Node.js 20'];
  if (node20?.skip !== false) return;
  const project = join(dir, 'consumer-node20');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  const PATH = [dirname(node20.path), dirname(process.execPath), process.env.PATH].join(':');
  run('npm', ['install', '--engine-strict', '--no-audit', '--no-fund', tarball], project, { PATH });
  const script =
    'import("@twofa/otp").then((otp) => console.log(otp.generateTOTP({ secret: "JBSWY3DPEHPK3PXP" })))';
  assert.match(run(node20.path, ['--input-type=module', '-e', script], project), /^\d{6}\n$/);
});

for (const resolution of ['nodenext', 'bundler'] as const) {
  test(`a TypeScript project (moduleResolution ${resolution}) compiles against the declarations`, () => {
    const out = join(consumer, `out-${resolution}`);
    const config = {
      compilerOptions: {
        module: resolution === 'nodenext' ? 'nodenext' : 'esnext',
        moduleResolution: resolution,
        target: 'es2022',
        lib: ['es2022'],
        types: [],
        strict: true,
        skipLibCheck: false,
        outDir: out,
      },
      files: ['typed.ts'],
    };
    writeFileSync(join(consumer, `tsconfig.${resolution}.json`), JSON.stringify(config));
    run(TSC, ['-p', `tsconfig.${resolution}.json`], consumer);
    // The compiled file runs too: the import TypeScript resolved is the one Node.js resolves.
    const printed = run(process.execPath, [join(out, 'typed.js')], consumer);
    const result = JSON.parse(/^TYPED (.*)$/m.exec(printed)?.[1] ?? 'null');
    assert.deepEqual(result, { code: result?.code, delta: 0, errorClass: 'OTPError' });
    assert.match(result.code, /^\d{6}$/);
  });
}

test('Chromium runs the smoke checks from an esbuild bundle of the installed package', {
  skip: skipUnlessTool('chromium'),
}, async () => {
  const bundle = await build({
    entryPoints: [join(consumer, 'smoke.js')],
    absWorkingDir: consumer,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    const printed = new Promise<string>((resolve) => {
      page.on('console', (message) => {
        if (message.text().startsWith('SMOKE ')) resolve(message.text());
      });
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.setContent('<!doctype html><title>smoke</title>');
    await page.addScriptTag({ content: bundle.outputFiles[0]?.text ?? '' });
    assertSmoke(await printed);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

/** The smoke script's `SMOKE {"checks", "failures"}` line: every check ran and none failed. */
function assertSmoke(output: string): void {
  const line = /^SMOKE (.*)$/m.exec(output)?.[1];
  assert.ok(line, `no SMOKE line in: ${output}`);
  const { checks, failures } = JSON.parse(line) as { checks: number; failures: string[] };
  assert.deepEqual(failures, []);
  // RFC 6238: 6 rows x 3 algorithms x (generate, verify) = 36; key URI 10; migration 9; current time 1.
  assert.equal(checks, 56, 'every check ran');
}

/** Runs a command to completion; its stdout, or an error with its stderr. */
function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`,
    );
  }
  return result.stdout;
}
