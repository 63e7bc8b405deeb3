/**
 * The master keyring: from TWOFA_MASTER_KEY, or (SQLite) from the key file in the data directory, generated
 * 0600 at first start. Before the service starts, the keyring must open what the database already holds.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { type Config, ConfigError } from '../config.ts';
import {
  generateMasterKey,
  type Keyring,
  openSecret,
  parseKeyring,
  totpSecretContext,
} from '../crypto/secret-box.ts';
import { listRecoveryCodeKeyIdsInUse } from '../store/recovery-codes-repo.ts';
import type { Database } from '../store/schema.ts';
import { listRecentSealedSecrets, listSecretKeyIds } from '../store/totp-credentials-repo.ts';

/** The master key file SQLite deployments generate when TWOFA_MASTER_KEY is unset. */
export function masterKeyPath(dataDir: string): string {
  return join(dataDir, 'master.key');
}

/** Loads (or, on first start with SQLite, generates) the keyring, and checks it opens the stored secrets. */
export async function openKeyring(
  config: Pick<Config, 'masterKey' | 'dataDir'>,
  db: Kysely<Database>,
  log: (name: string, fields?: Record<string, string | number | boolean>) => void,
): Promise<Keyring> {
  const keyring = await loadKeyring(config, db, log);
  await assertKeyringOpensStoredSecrets(
    db,
    keyring,
    config.masterKey === undefined ? masterKeyPath(config.dataDir) : undefined,
  );
  return keyring;
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
      `${path} is missing but the database holds encrypted TOTP secrets: restore the key file ` +
        '(or set TWOFA_MASTER_KEY to the key)',
    );
  }
  try {
    // 'wx': never overwrite a key another process created a moment ago; 0600: only the service user reads it.
    await writeFile(path, `${generateMasterKey()}\n`, { flag: 'wx', mode: 0o600 });
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
      `lacks key id(s) ${missing.join(', ')} that stored TOTP secrets are sealed under; keep old keys in the ` +
        'list after the current one until every secret has been re-sealed',
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
  for (const keyId of keyIds) {
    const rows = await listRecentSealedSecrets(db, { keyId, limit: SECRETS_CHECKED_PER_KEY });
    const opens = rows.some((row) => {
      try {
        openSecret(
          keyring,
          { keyId, ciphertext: row.secret_ciphertext },
          totpSecretContext(row.user_id, row.id),
        );
        return true;
      } catch {
        return false;
      }
    });
    if (opens) continue;
    const problem =
      `key id '${keyId}' is not the key the stored TOTP secrets were sealed with (they do not open); ` +
      'restore the original key';
    if (keyFile !== undefined) throw new Error(`${keyFile}: ${problem}`);
    throw new ConfigError('TWOFA_MASTER_KEY', problem);
  }
}
