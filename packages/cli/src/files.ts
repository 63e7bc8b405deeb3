/** Reading inputs and writing files that hold secrets (key files, QR images). */
import { lstat, open, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError } from './errors.ts';
import type { IO } from './io.ts';

export async function readTextFile(path: string, flag: string, io: IO): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, path), 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${flag} ${path}: ${describeFsError(error)}`);
  }
}

export async function readBinaryFile(path: string, flag: string, io: IO): Promise<Uint8Array> {
  try {
    return await readFile(resolve(io.cwd, path));
  } catch (error) {
    throw new CliError(`cannot read ${flag} ${path}: ${describeFsError(error)}`);
  }
}

/**
 * Writes a file only its owner can read (mode 0600), since it holds a secret. An existing file is left alone
 * (flag 'wx': no clobbering a key someone still needs) unless `force`, which also tightens its mode.
 */
export async function writePrivateFile(
  path: string,
  data: string | Uint8Array,
  options: { flag: string; force: boolean; io: IO },
): Promise<void> {
  const fullPath = resolve(options.io.cwd, path);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(fullPath, options.force ? 'w' : 'wx', 0o600);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') {
      throw new CliError(`${path} already exists; pass --force to overwrite it`);
    }
    throw new CliError(`cannot write ${options.flag} ${path}: ${describeFsError(error)}`);
  }
  try {
    // open()'s mode applies only when it creates the file; an overwritten one keeps its old mode otherwise.
    if (options.force) await handle.chmod(0o600);
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}

/**
 * Refuses, before anything is written, when one of the files a command is about to create already exists and
 * `force` is off. Without it, a command writing two files (a key file and its QR image) could create the
 * first and then stop at the second, leaving a key file whose key was never shown. writePrivateFile's 'wx'
 * remains the guard against a file appearing in between.
 */
export async function refuseExistingFiles(paths: readonly string[], options: { force: boolean; io: IO }) {
  if (options.force) return;
  for (const path of paths) {
    const exists = await lstat(resolve(options.io.cwd, path)).then(
      () => true,
      () => false,
    );
    if (exists) throw new CliError(`${path} already exists; pass --force to overwrite it`);
  }
}

function describeFsError(error: unknown): string {
  switch ((error as { code?: unknown }).code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return error instanceof Error ? error.message.split('\n')[0]! : String(error);
  }
}
