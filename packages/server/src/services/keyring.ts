/**
 * The master keyring: key material from TWOFA_MASTER_KEY, or (SQLite) from the key file in the data
 * directory, generated 0600 at first start. Before the service starts, the keyring must open what the
 * database already holds.
 *
 * Which key is current (seals new secrets, hashes new recovery codes): the first of the list, until
 * `twofa admin rotate-key` has run; from then on the key the database names (master_key_state), so that every
 * instance switches together, without a restart. A running instance re-reads that row every
 * KEY_STATE_POLL_MS, re-reads the key file when the row (or a stored secret) names a key it lacks, and
 * records a heartbeat with the key ids it holds (keyring_instances) so a rotation can refuse a key that some
 * running instance could not open.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import { type Config, ConfigError } from '../config.ts';
import {
  generateMasterKey,
  hotpSecretContext,
  type Keyring,
  openSecret,
  parseKeyring,
  totpSecretContext,
} from '../crypto/secret-box.ts';
import { countUnrevokedApiKeysByKeyId } from '../store/api-keys-repo.ts';
import { deleteInstance, purgeInstances, readKeyState, upsertInstance } from '../store/key-state-repo.ts';
import { listRecoveryCodeKeyIdsInUse } from '../store/recovery-codes-repo.ts';
import type { Database } from '../store/schema.ts';
import { listRecentSealedSecrets, listSecretKeyIds } from '../store/totp-credentials-repo.ts';

/** The master key file SQLite deployments generate when TWOFA_MASTER_KEY is unset. */
export function masterKeyPath(dataDir: string): string {
  return join(dataDir, 'master.key');
}

type Log = (name: string, fields?: Record<string, string | number | boolean>) => void;

/** A keyring whose current key (and, from a key file, whose keys) can change while the service runs. */
export interface LiveKeyring extends Keyring {
  /**
   * Re-reads the database's current key id (and the key file when that, or `neededKeyId`, names a key this
   * keyring lacks), and records this instance's heartbeat.
   */
  refresh(neededKeyId?: string): Promise<void>;
  /** Stops the heartbeat and removes this instance's row. */
  close(): Promise<void>;
}

/**
 * Loads (or, on first start with SQLite, generates) the keyring, makes the database's current key current,
 * checks it opens the stored secrets, and keeps it up to date every `pollMs` (0: only on `refresh()`).
 */
export async function openKeyring(
  config: Pick<Config, 'masterKey' | 'dataDir'>,
  db: Kysely<Database>,
  log: Log,
  options: { nowMs: () => number; pollMs: number },
): Promise<LiveKeyring> {
  const loaded = await loadKeyring(config, db, log);
  const keyFile = config.masterKey === undefined ? masterKeyPath(config.dataDir) : undefined;
  const keyring = withCurrentKey(loaded, (await readKeyState(db))?.current_key_id);
  await assertKeyringOpensStoredSecrets(db, keyring, keyFile);
  return createLiveKeyring(keyring, { db, log, keyFile, ...options });
}

/**
 * Reads the keyring the settings name without creating anything (the operator's commands): TWOFA_MASTER_KEY,
 * else the key file; with the database's current key current. Throws ConfigError when there is neither.
 */
export async function readKeyring(
  config: Pick<Config, 'masterKey' | 'dataDir'>,
  db: Kysely<Database>,
): Promise<Keyring> {
  const path = masterKeyPath(config.dataDir);
  const loaded = config.masterKey === undefined ? await readKeyFile(path) : parseKeyring(config.masterKey);
  if (loaded === undefined) {
    throw new ConfigError('TWOFA_MASTER_KEY', `is unset and there is no key file at ${path}`);
  }
  return withCurrentKey(loaded, (await readKeyState(db))?.current_key_id);
}

/** The keyring with `currentKeyId` (the database's) current; refuses one that lacks it. */
function withCurrentKey(keyring: Keyring, currentKeyId: string | undefined): Keyring {
  if (currentKeyId === undefined || currentKeyId === keyring.currentKeyId) return keyring;
  if (!keyring.keys.has(currentKeyId)) {
    throw new ConfigError(
      'TWOFA_MASTER_KEY',
      `lacks key id '${currentKeyId}', which twofa admin rotate-key made the current key: add it to the list`,
    );
  }
  return { currentKeyId, keys: keyring.keys };
}

function createLiveKeyring(
  initial: Keyring,
  options: {
    db: Kysely<Database>;
    log: Log;
    keyFile: string | undefined;
    nowMs: () => number;
    pollMs: number;
  },
): LiveKeyring {
  const { db, log, keyFile, nowMs, pollMs } = options;
  let keys = initial.keys;
  let currentKeyId = initial.currentKeyId;
  const instanceId = randomUUID();
  const reported = new Set<string>();

  async function reloadKeyFile(): Promise<void> {
    if (keyFile === undefined) return;
    const reread = await readKeyFile(keyFile);
    if (reread !== undefined) keys = new Map([...keys, ...reread.keys]);
  }

  async function refresh(neededKeyId?: string): Promise<void> {
    const stateKeyId = (await readKeyState(db))?.current_key_id;
    const wanted = [stateKeyId, neededKeyId].filter((id): id is string => id !== undefined);
    if (wanted.some((id) => !keys.has(id))) await reloadKeyFile();
    if (stateKeyId !== undefined && stateKeyId !== currentKeyId) {
      if (keys.has(stateKeyId)) {
        log('master_key.current_changed', { keyId: stateKeyId, previousKeyId: currentKeyId });
        currentKeyId = stateKeyId;
      } else if (!reported.has(stateKeyId)) {
        // Sealing under a key this instance lacks is impossible; it keeps its key and says so, once.
        reported.add(stateKeyId);
        log('master_key.current_missing', {
          keyId: stateKeyId,
          message: 'The database names a current master key this instance lacks: add it and restart.',
        });
      }
    }
    const seenAtMs = nowMs();
    await upsertInstance(db, {
      id: instanceId,
      host: hostname(),
      pid: process.pid,
      key_ids: [...keys.keys()].join(','),
      current_key_id: currentKeyId,
      key_file: keyFile ?? null,
      seen_at_ms: seenAtMs,
    });
    await purgeInstances(db, seenAtMs - INSTANCE_FORGOTTEN_MS);
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= refresh()
      .catch((error: unknown) => log('master_key.refresh_failed', { error: (error as Error).message }))
      .finally(() => {
        running = undefined;
      });
  };
  if (pollMs > 0) {
    tick();
    timer = setInterval(tick, pollMs);
    timer.unref();
  }

  return {
    get currentKeyId() {
      return currentKeyId;
    },
    get keys() {
      return keys;
    },
    refresh,
    async close() {
      if (timer !== undefined) clearInterval(timer);
      await running;
      await deleteInstance(db, instanceId).catch(() => {});
    },
  };
}

/** An instance not seen for this long is forgotten (it has stopped or crashed). */
const INSTANCE_FORGOTTEN_MS = 24 * 60 * 60 * 1000;

/**
 * Writes a key file atomically (a reader sees the old or the new one whole), 0600, and durably: the database
 * is told about a key only after the file holding it is on disk, so a power failure cannot leave the
 * database naming a key the file lost.
 */
async function writeKeyFile(path: string, keyring: Keyring): Promise<void> {
  const entries = [...keyring.keys].map(([keyId, key]) => `${keyId}:${key.export().toString('base64')}`);
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeNewFileDurably(temporary, `${entries.join(',')}\n`);
  await rename(temporary, path);
  await syncDirectory(dirname(path));
}

/** Creates `path` ('wx': never over a file another process made), 0600, and flushes its data to disk. */
async function writeNewFileDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a directory's entries (a file created or renamed in it) to disk. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Adds a new random key under `keyId` at the end of the key file (not current: the database's state makes it
 * current, for every instance at once). Returns the keyring read back.
 */
export async function addKeyToFile(path: string, keyId: string): Promise<Keyring> {
  const existing = await readKeyFile(path);
  if (existing === undefined)
    throw new ConfigError('TWOFA_MASTER_KEY', `is unset and there is no key file at ${path}`);
  const added = parseKeyring(`${keyId}:${generateMasterKey()}`).keys.get(keyId)!;
  if (existing.keys.has(keyId)) throw new ConfigError('TWOFA_MASTER_KEY', `already has key id '${keyId}'`);
  await writeKeyFile(path, {
    currentKeyId: existing.currentKeyId,
    keys: new Map([...existing.keys, [keyId, added]]),
  });
  const written = await readKeyFile(path);
  if (written === undefined || !written.keys.has(keyId)) throw new Error(`${path} could not be read back`);
  return written;
}

/** Removes `keyId` from the key file (after a rotation: no secret needs it). */
export async function removeKeyFromFile(path: string, keyId: string): Promise<void> {
  const existing = await readKeyFile(path);
  if (existing === undefined || !existing.keys.has(keyId)) return;
  const keys = new Map(existing.keys);
  keys.delete(keyId);
  const currentKeyId = keys.keys().next().value;
  if (currentKeyId === undefined) throw new Error(`${path} would be left without a key`);
  await writeKeyFile(path, { currentKeyId, keys });
}

async function loadKeyring(
  config: Pick<Config, 'masterKey' | 'dataDir'>,
  db: Kysely<Database>,
  log: (name: string, fields?: Record<string, string | number | boolean>) => void,
): Promise<Keyring> {
  if (config.masterKey !== undefined) return parseKeyring(config.masterKey);
  const path = masterKeyPath(config.dataDir);
  const existing = await readKeyFile(path);
  if (existing !== undefined) return existing;

  // No key yet. If the database already holds sealed secrets, a new key could never open them: refuse,
  // rather than silently locking every 2FA user out.
  if ((await listSecretKeyIds(db)).length > 0) {
    throw new Error(
      `${path} is missing but the database holds encrypted TOTP secrets or phone numbers: restore the key file ` +
        '(or set TWOFA_MASTER_KEY to the key)',
    );
  }
  try {
    // 'wx': never overwrite a key another process created a moment ago; 0600: only the service user reads it.
    // Durably: secrets are sealed under this key (and the database syncs them) right after.
    await writeNewFileDurably(path, `${generateMasterKey()}\n`);
    await syncDirectory(dirname(path));
    log('master_key.created', {
      path,
      message:
        'Generated a master key for TOTP secrets. Back this file up: without it no one can sign in with 2FA.',
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const created = await readKeyFile(path);
  if (created === undefined) throw new Error(`${path} could not be read back`);
  return created;
}

async function readKeyFile(path: string): Promise<Keyring | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const mode = (await stat(path)).mode;
  if ((mode & 0o077) !== 0) {
    throw new Error(`${path} is readable by other users; run: chmod 600 ${path}`);
  }
  try {
    return parseKeyring(text);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}

/** Secrets tried per key id at start: a wrong key opens none of them, one damaged row does not block. */
const SECRETS_CHECKED_PER_KEY = 3;

/**
 * Refuses a keyring that cannot open what is stored: a key id it lacks, or a key under a known id that is
 * not the one the secrets were sealed with (a bare key is always `default`, so ids alone do not tell).
 * `keyFile` names the generated key file when the keyring came from it.
 */
async function assertKeyringOpensStoredSecrets(
  db: Kysely<Database>,
  keyring: Keyring,
  keyFile: string | undefined,
): Promise<void> {
  const keyIds = await listSecretKeyIds(db);
  const missing = keyIds.filter((keyId) => !keyring.keys.has(keyId));
  if (missing.length > 0) {
    throw new ConfigError(
      'TWOFA_MASTER_KEY',
      `lacks key id(s) ${missing.join(', ')} that stored TOTP secrets or phone numbers are sealed under; keep ` +
        'old keys in the list after the current one until every secret has been re-sealed',
    );
  }
  // Recovery codes are hashed under a subkey of the key that made them and cannot be re-hashed (only their
  // owner knows them): dropping that key would void them silently, so refuse it as for secrets.
  const recoveryMissing = (await listRecoveryCodeKeyIdsInUse(db)).filter((keyId) => !keyring.keys.has(keyId));
  if (recoveryMissing.length > 0) {
    throw new ConfigError(
      'TWOFA_MASTER_KEY',
      `lacks key id(s) ${recoveryMissing.join(', ')} that unused recovery codes are hashed under; keep old keys ` +
        'in the list until those codes are used or replaced (SELECT DISTINCT key_id FROM recovery_codes WHERE ' +
        'used_at_ms IS NULL)',
    );
  }
  // API keys are one-way HMACs too (each moves to the current key on its next use): without the key, the
  // calling apps would be refused from now on with nothing said; rotate-key --retire refuses the same.
  const apiKeysMissing = (await countUnrevokedApiKeysByKeyId(db)).filter(
    (entry) => !keyring.keys.has(entry.keyId),
  );
  if (apiKeysMissing.length > 0) {
    const count = apiKeysMissing.reduce((sum, entry) => sum + entry.count, 0);
    throw new ConfigError(
      'TWOFA_MASTER_KEY',
      `lacks key id(s) ${apiKeysMissing.map((entry) => entry.keyId).join(', ')} that ${count} unrevoked API ` +
        `${count === 1 ? 'key is' : 'keys are'} hashed under; keep old keys in the list until each API key has ` +
        'been used once since the rotation, or revoke the ones no app uses (twofa admin api-key revoke)',
    );
  }
  for (const keyId of keyIds) {
    const rows = await listRecentSealedSecrets(db, { keyId, limit: SECRETS_CHECKED_PER_KEY });
    const opens = rows.some((row) => {
      try {
        openSecret(
          keyring,
          { keyId, ciphertext: row.secret_ciphertext },
          row.kind === 'hotp'
            ? hotpSecretContext(row.user_id, row.id)
            : totpSecretContext(row.user_id, row.id),
        );
        return true;
      } catch {
        return false;
      }
    });
    if (opens) continue;
    const problem =
      `key id '${keyId}' is not the key the stored TOTP (or hardware-token) secrets were sealed with (they do not open); ` +
      'restore the original key';
    if (keyFile !== undefined) throw new Error(`${keyFile}: ${problem}`);
    throw new ConfigError('TWOFA_MASTER_KEY', problem);
  }
}
