/**
 * Packs workspace packages as `npm pack` does for a release (prepack builds dist/ and rewrites package.json,
 * postpack restores it), but from a copy of the repository in a scratch directory, so a test never rewrites
 * the package.json files other tests are reading. The copy's node_modules links to the repository's, except
 * @twofa/*, which link to the copied packages (TypeScript's project references need them to be the same).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

const PACKAGES = ['otp', 'server', 'cli'] as const;
export type PackageDir = (typeof PACKAGES)[number];

export interface Packed {
  /** Absolute path of the .tgz. */
  readonly tarball: string;
  /** Paths inside the tarball, relative to its package/ directory. */
  readonly files: readonly string[];
}

/** Packs each of `names` into `destination`; returns the tarballs in the same order. */
export function packWorkspaces(names: readonly PackageDir[], destination: string): Packed[] {
  const repo = join(destination, 'repo');
  cpSync(join(REPO, 'tsconfig.base.json'), join(repo, 'tsconfig.base.json'));
  cpSync(join(REPO, 'scripts'), join(repo, 'scripts'), { recursive: true });
  for (const name of PACKAGES) {
    cpSync(join(REPO, 'packages', name), join(repo, 'packages', name), {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|dist)$/.test(source),
    });
  }
  mkdirSync(join(repo, 'node_modules', '@twofa'), { recursive: true });
  for (const entry of readdirSync(join(REPO, 'node_modules'))) {
    if (entry !== '@twofa') symlinkSync(join(REPO, 'node_modules', entry), join(repo, 'node_modules', entry));
  }
  for (const name of PACKAGES) {
    symlinkSync(join(repo, 'packages', name), join(repo, 'node_modules', '@twofa', name), 'dir');
  }
  return names.map((name) => {
    const result = spawnSync('npm', ['pack', '--json', '--pack-destination', destination], {
      cwd: join(repo, 'packages', name),
      encoding: 'utf8',
    });
    if (result.status !== 0)
      throw new Error(`npm pack of ${name} exited ${result.status}:\n${result.stderr}`);
    // Lifecycle scripts may print before npm's JSON.
    const [packed] = JSON.parse(result.stdout.slice(result.stdout.search(/^\[/m))) as [
      { filename: string; files: { path: string }[] },
    ];
    return { tarball: join(destination, packed.filename), files: packed.files.map((file) => file.path) };
  });
}
