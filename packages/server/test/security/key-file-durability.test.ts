/**
 * Threat: a power failure (or kernel crash) just after the key file was written. `rotate-key` adds the new
 * master key to the key file, then the database (which syncs its commits) names that key current and secrets
 * are re-sealed under it; at first start the service generates the key file and then seals secrets under it.
 * A file whose bytes were never flushed can come back empty (or as it was) after the crash, while the
 * database keeps what was sealed under the lost key: every 2FA user locked out for good. The key file must
 * be on disk (its data, and its directory entry after the rename) before anything relies on it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, mock, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { addKeyToFile, masterKeyPath, removeKeyFromFile } from '../../src/services/keyring.ts';
import { openStaleInstance } from '../support/dialects.ts';

const made: string[] = [];
afterEach(async () => {
  mock.restoreAll();
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Counts fsync calls on file handles (a file's data, or a directory's entries) from here on. */
async function countSyncs(): Promise<{ readonly count: number }> {
  const probe = await open(import.meta.filename, 'r');
  const prototype = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
  await probe.close();
  const syncs = mock.method(prototype, 'sync');
  return {
    get count() {
      return syncs.mock.callCount();
    },
  };
}

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'twofa-keyfile-'));
  made.push(dir);
  return dir;
}

test('rotate-key: adding a key, and retiring one, sync the key file and its directory', async () => {
  const dir = await dataDir();
  const config = loadConfig({ TWOFA_DATA_DIR: dir });
  const first = await openStaleInstance(config);
  await first.close();
  const path = masterKeyPath(dir);

  const added = await countSyncs();
  await addKeyToFile(path, 'k2');
  assert.ok(added.count >= 2, `the new key file and its directory are synced (${added.count} syncs)`);
  mock.restoreAll();
  assert.match(await readFile(path, 'utf8'), /,k2:/);

  const removed = await countSyncs();
  await removeKeyFromFile(path, 'default');
  assert.ok(removed.count >= 2, `the key file and its directory are synced (${removed.count} syncs)`);
});

test('first start: the generated key file and its directory are synced', async () => {
  const dir = await dataDir();
  const syncs = await countSyncs();
  const services = await openStaleInstance(loadConfig({ TWOFA_DATA_DIR: dir }));
  await services.close();
  assert.ok(syncs.count >= 2, `the generated key file and its directory are synced (${syncs.count} syncs)`);
});
