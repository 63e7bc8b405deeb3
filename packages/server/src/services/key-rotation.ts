/**
 * Master key rotation, for `twofa admin rotate-key`: where the key stands, making a new key current and
 * re-sealing every stored TOTP secret and phone number under it (online, in batches, resumable), and retiring a key nothing
 * needs any more. What rotation means for each kind of stored value is in the server README ("Rotating the
 * master key"); how running instances follow the current key is in ./keyring.ts.
 */
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import {
  hotpSecretContext,
  type Keyring,
  openSecret,
  phoneContext,
  SecretBoxError,
  sealSecret,
  totpSecretContext,
} from '../crypto/secret-box.ts';
import { listHotpSecretsNotUnder, updateSealedHotpSecret } from '../store/hotp-credentials-repo.ts';
import {
  addResealed,
  clearPreviousKey,
  countByKeyId,
  finishRotation,
  type KeyUse,
  listLiveInstances,
  listPhonesNotUnder,
  listSecretsNotUnder,
  readKeyState,
  startRotation,
} from '../store/key-state-repo.ts';
import type { Database } from '../store/schema.ts';
import { updateSealedSecret } from '../store/totp-credentials-repo.ts';
import { updateSealedPhone } from '../store/users-repo.ts';
import type { EventSink } from './events.ts';
import { addKeyToFile, masterKeyPath, removeKeyFromFile } from './keyring.ts';
import { INSTANCE_ALIVE_MS, KEY_STATE_POLL_MS, ROTATION_BATCH_SIZE } from './limits.ts';
import { ServiceError } from './types.ts';

/** One kind of value sealed under the master key: how a rotation finds and re-seals it. */
interface SealedStore {
  readonly name: string;
  list(
    db: Kysely<Database>,
    input: { keyId: string; afterId: string; limit: number },
  ): Promise<{ id: string; keyId: string; ciphertext: string; context: string }[]>;
  update(
    db: Kysely<Database>,
    input: { id: string; fromKeyId: string; keyId: string; ciphertext: string },
  ): Promise<boolean>;
}

/** Everything sealed (AES-256-GCM) under a master key id: TOTP secrets, hardware-token (HOTP) secrets and
 * phone numbers. */
const SEALED_STORES: readonly SealedStore[] = [
  {
    name: 'totp',
    list: async (db, input) =>
      (await listSecretsNotUnder(db, input)).map((row) => ({
        id: row.id,
        keyId: row.secret_key_id,
        ciphertext: row.secret_ciphertext,
        context: totpSecretContext(row.user_id, row.id),
      })),
    update: updateSealedSecret,
  },
  {
    name: 'hotp',
    list: async (db, input) =>
      (await listHotpSecretsNotUnder(db, input)).map((row) => ({
        id: row.id,
        keyId: row.secret_key_id,
        ciphertext: row.secret_ciphertext,
        context: hotpSecretContext(row.user_id, row.id),
      })),
    update: updateSealedHotpSecret,
  },
  {
    name: 'phone',
    list: async (db, input) =>
      (await listPhonesNotUnder(db, input)).map((row) => ({
        id: row.id,
        keyId: row.phone_key_id,
        ciphertext: row.phone_ciphertext,
        context: phoneContext(row.id),
      })),
    update: updateSealedPhone,
  },
];

/** What a rotation needs of the operator's context. */
export interface RotationContext {
  readonly config: Config;
  readonly db: Kysely<Database>;
  readonly nowMs: () => number;
  readonly events: EventSink;
  /** The keyring (read, never created). */
  readonly keyring: () => Promise<Keyring>;
}

/** Where the master key stands (`rotate-key --status`). */
export interface KeyStatus {
  /** The key new secrets are sealed under (the database's, else the first of the list). */
  readonly currentKeyId: string;
  /** Where that comes from: the database (after a rotation) or the order of the list. */
  readonly currentFrom: 'database' | 'list';
  readonly previousKeyId: string | null;
  readonly rotation: {
    readonly startedAtMs: number;
    readonly finishedAtMs: number | null;
    readonly resealed: number;
  } | null;
  /** Stored secrets, unused recovery codes, phone numbers and unrevoked API keys per key id. */
  readonly keysInUse: readonly KeyUse[];
  /** The key ids this command's keyring holds (null when it could not be read). */
  readonly keyringKeyIds: readonly string[] | null;
  /** Where the keys come from: the key file (SQLite default) or TWOFA_MASTER_KEY. */
  readonly keySource: { readonly kind: 'file'; readonly path: string } | { readonly kind: 'environment' };
  /** Running instances (heartbeat within INSTANCE_ALIVE_MS) and the key ids each holds. */
  readonly instances: readonly {
    host: string;
    pid: number;
    keyIds: readonly string[];
    currentKeyId: string;
    seenAtMs: number;
  }[];
}

export interface RotationOptions {
  /** The key to make current: an id in TWOFA_MASTER_KEY; with the key file, omit it and one is generated. */
  readonly toKeyId?: string;
  /** @default ROTATION_BATCH_SIZE */
  readonly batchSize?: number;
  /** How long to wait after making the key current, so every instance has seen it. @default 2 * KEY_STATE_POLL_MS */
  readonly propagationMs?: number;
  /** Called after each committed batch (progress; a test pauses here). */
  readonly onBatch?: (progress: { batches: number; resealed: number }) => Promise<void>;
  /** Called once the new key is current, before the wait (e.g. to say that the key file changed). */
  readonly onStarted?: (started: { keyId: string; previousKeyId: string; resumed: boolean }) => void;
}

/** What a rotation did. */
export interface RotationReport {
  readonly keyId: string;
  readonly previousKeyId: string;
  /** This run resumed a rotation an earlier run started (and did not finish). */
  readonly resumed: boolean;
  /** Secrets re-sealed by this run. */
  readonly resealed: number;
  /** Secrets that could not be opened (damaged, or under a key the keyring lacks): the rotation is unfinished. */
  readonly failed: readonly string[];
  readonly finished: boolean;
  /** Unused recovery codes still hashed under other keys (one-way: they cannot be re-hashed). */
  readonly recoveryCodesUnderOtherKeys: number;
  /** Unrevoked API keys still hashed under other keys (one-way: each moves on its next use). */
  readonly apiKeysUnderOtherKeys: number;
}

function keySourceOf(config: Config): KeyStatus['keySource'] {
  return config.masterKey === undefined
    ? { kind: 'file', path: masterKeyPath(config.dataDir) }
    : { kind: 'environment' };
}

export async function keyStatus(ctx: RotationContext): Promise<KeyStatus> {
  const state = await readKeyState(ctx.db);
  let keyring: Keyring | undefined;
  try {
    keyring = await ctx.keyring();
  } catch {
    keyring = undefined;
  }
  const instances = await listLiveInstances(ctx.db, ctx.nowMs() - INSTANCE_ALIVE_MS);
  return {
    currentKeyId: state?.current_key_id ?? keyring?.currentKeyId ?? 'unknown',
    currentFrom: state === undefined ? 'list' : 'database',
    previousKeyId: state?.previous_key_id ?? null,
    rotation:
      state?.rotation_started_at_ms === null || state === undefined
        ? null
        : {
            startedAtMs: state.rotation_started_at_ms,
            finishedAtMs: state.rotation_finished_at_ms,
            resealed: Number(state.resealed),
          },
    keysInUse: await countByKeyId(ctx.db),
    keyringKeyIds: keyring === undefined ? null : [...keyring.keys.keys()],
    keySource: keySourceOf(ctx.config),
    instances: instances.map((row) => ({
      host: row.host,
      pid: row.pid,
      keyIds: row.key_ids.split(','),
      currentKeyId: row.current_key_id,
      seenAtMs: row.seen_at_ms,
    })),
  };
}

/** A new key id for a generated key: `k` and the date and time (UTC), e.g. `k20261130-011205`. */
function newKeyId(nowMs: number): string {
  const iso = new Date(nowMs).toISOString();
  return `k${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

export async function rotateKey(ctx: RotationContext, options: RotationOptions): Promise<RotationReport> {
  let keyring = await ctx.keyring();
  const state = await readKeyState(ctx.db);
  const unfinished =
    state !== undefined && state.rotation_finished_at_ms === null && state.previous_key_id !== null;
  let target: string;
  let previous: string;
  if (unfinished) {
    // Resume: the key the interrupted run made current stays the target.
    target = state.current_key_id;
    previous = state.previous_key_id!;
    if (options.toKeyId !== undefined && options.toKeyId !== target) {
      throw new ServiceError('ROTATION_UNFINISHED', { field: 'to' });
    }
    if (!keyring.keys.has(target)) throw new ServiceError('UNKNOWN_KEY', { field: 'to' });
  } else {
    previous = keyring.currentKeyId;
    const source = keySourceOf(ctx.config);
    if (options.toKeyId === undefined) {
      // The key file (SQLite): make a key, add it at the end (not current until the database says so).
      if (source.kind !== 'file') throw new ServiceError('INVALID_INPUT', { field: 'to' });
      target = newKeyId(ctx.nowMs());
      if (keyring.keys.has(target)) throw new ServiceError('KEY_IS_CURRENT', { field: 'to' });
      keyring = { currentKeyId: keyring.currentKeyId, keys: (await addKeyToFile(source.path, target)).keys };
    } else {
      target = options.toKeyId;
      if (!keyring.keys.has(target)) throw new ServiceError('UNKNOWN_KEY', { field: 'to' });
      if (target === previous) throw new ServiceError('KEY_IS_CURRENT', { field: 'to' });
    }
    await refuseIfAnInstanceLacks(ctx, target);
    await ctx.db.transaction().execute(async (trx) => {
      await startRotation(trx, { keyId: target, previousKeyId: previous, nowMs: ctx.nowMs() });
      await ctx.events.record(trx, {
        type: 'master_key.rotation_started',
        keyId: target,
        previousKeyId: previous,
        by: 'operator',
      });
    });
  }
  options.onStarted?.({ keyId: target, previousKeyId: previous, resumed: unfinished });
  // Instances re-read the current key every KEY_STATE_POLL_MS: after this wait none seals under the old one.
  const propagationMs = options.propagationMs ?? 2 * KEY_STATE_POLL_MS;
  if (propagationMs > 0) await new Promise((resolve) => setTimeout(resolve, propagationMs));

  const sealing: Keyring = { currentKeyId: target, keys: keyring.keys };
  const batchSize = options.batchSize ?? ROTATION_BATCH_SIZE;
  const failed = new Set<string>();
  let resealed = 0;
  let batches = 0;
  for (const store of SEALED_STORES) {
    // Passes over the table until one finds nothing left to do (an instance that had not yet seen the new
    // key may have inserted a secret under the old one behind the first pass).
    for (let changedInPass = true; changedInPass; ) {
      changedInPass = false;
      let afterId = '';
      for (;;) {
        const rows = await store.list(ctx.db, { keyId: target, afterId, limit: batchSize });
        if (rows.length === 0) break;
        afterId = rows.at(-1)!.id;
        const done = await ctx.db.transaction().execute(async (trx) => {
          let count = 0;
          for (const row of rows) {
            const ref = `${store.name}:${row.id}`;
            if (failed.has(ref)) continue;
            let secret: Uint8Array;
            try {
              secret = openSecret(sealing, { keyId: row.keyId, ciphertext: row.ciphertext }, row.context);
            } catch (error) {
              if (!(error instanceof SecretBoxError)) throw error;
              failed.add(ref);
              continue;
            }
            const sealed = sealSecret(sealing, secret, row.context);
            if (await store.update(trx, { id: row.id, fromKeyId: row.keyId, ...sealed })) count++;
          }
          await addResealed(trx, count);
          return count;
        });
        resealed += done;
        batches++;
        if (done > 0) changedInPass = true;
        await options.onBatch?.({ batches, resealed });
      }
    }
  }
  // Finished only when nothing is left under another key (a second rotate-key run racing this one, say, may
  // have moved the target: then the guarded updates changed nothing and this run must not claim success).
  const underOtherKeys = (await countByKeyId(ctx.db)).filter((entry) => entry.keyId !== target);
  const finished =
    failed.size === 0 && underOtherKeys.every((entry) => entry.totpSecrets + entry.phoneNumbers === 0);
  if (finished) {
    await ctx.db.transaction().execute(async (trx) => {
      await finishRotation(trx, ctx.nowMs());
      const total = Number((await readKeyState(trx))?.resealed ?? resealed);
      await ctx.events.record(trx, {
        type: 'master_key.rotation_finished',
        keyId: target,
        resealed: total,
        by: 'operator',
      });
    });
  }
  const recoveryCodesUnderOtherKeys = underOtherKeys.reduce((sum, entry) => sum + entry.recoveryCodes, 0);
  const apiKeysUnderOtherKeys = underOtherKeys.reduce((sum, entry) => sum + entry.apiKeys, 0);
  return {
    keyId: target,
    previousKeyId: previous,
    resumed: unfinished,
    resealed,
    failed: [...failed],
    finished,
    recoveryCodesUnderOtherKeys,
    apiKeysUnderOtherKeys,
  };
}

/** Refuses to make `keyId` current while a running instance lacks it (it could not open what is sealed). */
async function refuseIfAnInstanceLacks(ctx: RotationContext, keyId: string): Promise<void> {
  const instances = await listLiveInstances(ctx.db, ctx.nowMs() - INSTANCE_ALIVE_MS);
  // An instance that reads the key file this command wrote the key into (same machine, same path) re-reads it
  // as soon as the database names a key it lacks.
  const source = keySourceOf(ctx.config);
  const readsOurFile = (row: { host: string; key_file: string | null }) =>
    source.kind === 'file' && row.key_file === source.path && row.host === hostname();
  const lacking = instances.filter((row) => !row.key_ids.split(',').includes(keyId) && !readsOurFile(row));
  if (lacking.length > 0) {
    throw new ServiceError('KEY_NOT_ON_EVERY_INSTANCE', {
      field: 'to',
      instances: lacking.map((row) => `${row.host} (pid ${row.pid})`),
    });
  }
}

export async function retireKey(
  ctx: RotationContext,
  keyId: string,
): Promise<{ keyId: string; removedFrom: 'file' | 'environment' }> {
  const keyring = await ctx.keyring();
  const state = await readKeyState(ctx.db);
  const current = state?.current_key_id ?? keyring.currentKeyId;
  if (keyId === current) throw new ServiceError('KEY_IS_CURRENT', { field: 'retire' });
  if (state !== undefined && state.rotation_finished_at_ms === null && state.previous_key_id !== null) {
    throw new ServiceError('ROTATION_UNFINISHED', { field: 'retire' });
  }
  // An API key's secret is a one-way HMAC too: it moves to the current key only on its next use, and one not
  // used since the rotation would stop working without this key. Codes sent by message (keyed hashes too) are
  // not counted: they live minutes, a day at most, and one under a retired key simply stops working.
  const inUse = (await countByKeyId(ctx.db)).find((entry) => entry.keyId === keyId);
  if (
    inUse !== undefined &&
    inUse.totpSecrets + inUse.recoveryCodes + inUse.phoneNumbers + inUse.apiKeys > 0
  ) {
    const { totpSecrets, recoveryCodes, phoneNumbers, apiKeys } = inUse;
    throw new ServiceError('KEY_IN_USE', {
      field: 'retire',
      inUse: { totpSecrets, recoveryCodes, phoneNumbers, apiKeys },
    });
  }
  if (!keyring.keys.has(keyId)) throw new ServiceError('UNKNOWN_KEY', { field: 'retire' });
  const source = keySourceOf(ctx.config);
  if (source.kind === 'file') await removeKeyFromFile(source.path, keyId);
  await ctx.db.transaction().execute(async (trx) => {
    await clearPreviousKey(trx, keyId);
    await ctx.events.record(trx, { type: 'master_key.retired', keyId, by: 'operator' });
  });
  return { keyId, removedFrom: source.kind === 'file' ? 'file' : 'environment' };
}
