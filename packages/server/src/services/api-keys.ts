/**
 * API keys: made by an operator (`twofa admin api-key create`), shown once, stored as a public prefix and a
 * keyed hash of the secret part (crypto/api-key-hash.ts), revocable, with a last-used time and a budget of
 * requests per minute.
 *
 * Threats: a copy of the database (no usable key in it), a guessed key (256-bit secrets; every failure
 * looks the same: unknown, malformed and revoked keys all get API_KEY_INVALID), one calling app starving the
 * others or hammering the guess limits (the per-key budget, counted in the database for every instance).
 */
import { randomUUID } from 'node:crypto';
import {
  generateApiKeyToken,
  hashApiKeySecret,
  parseApiKeyToken,
  sameApiKeyHash,
} from '../crypto/api-key-hash.ts';
import type { Keyring } from '../crypto/secret-box.ts';
import {
  findApiKeyByPrefix,
  insertApiKey,
  listApiKeys,
  rehashApiKey,
  revokeApiKey,
  touchApiKey,
} from '../store/api-keys-repo.ts';
import type { ApiKeyRow } from '../store/schema.ts';
import { findLoginWindowStart, reserveLoginAttempt } from '../store/throttle-repo.ts';
import type { ServiceContext } from './context.ts';
import {
  API_BUDGET_WINDOW_MS,
  API_KEY_TOUCH_INTERVAL_MS,
  DEFAULT_API_REQUESTS_PER_MINUTE,
} from './limits.ts';
import { API_SCOPES, type ApiKeyService, type ApiKeyView, type ApiScope, ServiceError } from './types.ts';

/** Names and tenants: short, printable, no commas (scopes are stored comma-separated; tenants are ids). */
const NAME_SHAPE = /^[\p{L}\p{N} ._:@+-]{1,64}$/u;
const TENANT_SHAPE = /^[A-Za-z0-9._:-]{1,64}$/;
const MAX_REQUESTS_PER_MINUTE = 1_000_000;

function toView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    tenant: row.tenant,
    scopes: decodeScopes(row.scopes),
    requestsPerMinute: row.requests_per_minute,
    createdAtMs: row.created_at_ms,
    lastUsedAtMs: row.last_used_at_ms,
    revokedAtMs: row.revoked_at_ms,
  };
}

function decodeScopes(text: string): ApiScope[] {
  return text
    .split(',')
    .filter((scope): scope is ApiScope => (API_SCOPES as readonly string[]).includes(scope));
}

/** The scopes asked for, in canonical order; throws INVALID_INPUT (field scopes) for an unknown or none. */
export function parseScopes(scopes: readonly string[]): ApiScope[] {
  const asked = scopes
    .flatMap((scope) => scope.split(','))
    .map((scope) => scope.trim())
    .filter(Boolean);
  if (asked.length === 0 || asked.some((scope) => !(API_SCOPES as readonly string[]).includes(scope))) {
    throw new ServiceError('INVALID_INPUT', { field: 'scopes' });
  }
  return API_SCOPES.filter((scope) => asked.includes(scope));
}

/** The budget's key in login_throttle (which holds fixed windows keyed by any string). */
function budgetKey(keyId: string): string {
  return `api-key:${keyId}`;
}

/** What making, listing and revoking keys need: the operator's command has these without a running service. */
export interface ApiKeyContext {
  readonly db: ServiceContext['db'];
  readonly nowMs: () => number;
  readonly events: ServiceContext['events'];
  /** The master keyring (read on first need: listing and revoking do not). */
  readonly keyring: () => Keyring | Promise<Keyring>;
}

export interface NewApiKeyInput {
  readonly name: string;
  readonly tenant: string;
  readonly scopes: readonly string[];
  /** @default DEFAULT_API_REQUESTS_PER_MINUTE */
  readonly requestsPerMinute?: number;
}

/** Makes a key; the token is in the result only. Throws INVALID_INPUT naming the field. */
export async function createApiKey(
  ctx: ApiKeyContext,
  input: NewApiKeyInput,
): Promise<{ readonly key: ApiKeyView; readonly token: string }> {
  const { name, tenant, scopes, requestsPerMinute = DEFAULT_API_REQUESTS_PER_MINUTE } = input;
  if (typeof name !== 'string' || !NAME_SHAPE.test(name))
    throw new ServiceError('INVALID_INPUT', { field: 'name' });
  if (typeof tenant !== 'string' || !TENANT_SHAPE.test(tenant)) {
    throw new ServiceError('INVALID_INPUT', { field: 'tenant' });
  }
  const canonical = parseScopes(scopes);
  if (
    !Number.isInteger(requestsPerMinute) ||
    requestsPerMinute < 1 ||
    requestsPerMinute > MAX_REQUESTS_PER_MINUTE
  ) {
    throw new ServiceError('INVALID_INPUT', { field: 'requestsPerMinute' });
  }
  const keyring = await ctx.keyring();
  const { token, prefix, secret } = generateApiKeyToken();
  const keyId = keyring.currentKeyId;
  const row: ApiKeyRow = {
    id: randomUUID(),
    prefix,
    secret_hash: hashApiKeySecret(keyring, keyId, prefix, secret),
    hash_key_id: keyId,
    name,
    tenant,
    scopes: canonical.join(','),
    requests_per_minute: requestsPerMinute,
    created_at_ms: ctx.nowMs(),
    last_used_at_ms: null,
    revoked_at_ms: null,
  };
  await ctx.db.transaction().execute(async (trx) => {
    await insertApiKey(trx, row);
    await ctx.events.record(trx, { type: 'api_key.created', keyId: row.id, tenant, scopes: row.scopes });
  });
  return { key: toView(row), token };
}

/** Every key, newest first, revoked ones too; never a secret. */
export async function listAllApiKeys(ctx: Pick<ApiKeyContext, 'db'>): Promise<ApiKeyView[]> {
  return (await listApiKeys(ctx.db)).map(toView);
}

/** Revokes the key with this id or prefix; null when no unrevoked key has it. Audited. */
export async function revokeApiKeyByIdOrPrefix(
  ctx: ApiKeyContext,
  idOrPrefix: string,
): Promise<ApiKeyView | null> {
  const row = await ctx.db.transaction().execute(async (trx) => {
    const revoked = await revokeApiKey(trx, { idOrPrefix, nowMs: ctx.nowMs() });
    if (revoked !== undefined) {
      await ctx.events.record(trx, { type: 'api_key.revoked', keyId: revoked.id, tenant: revoked.tenant });
    }
    return revoked;
  });
  return row === undefined ? null : toView(row);
}

export function createApiKeyService(ctx: ServiceContext): ApiKeyService {
  const keys: ApiKeyContext = {
    db: ctx.db,
    nowMs: ctx.nowMs,
    events: ctx.events,
    keyring: () => ctx.keyring,
  };
  return {
    create: (input) => createApiKey(keys, input),
    list: () => listAllApiKeys(keys),
    revoke: (idOrPrefix) => revokeApiKeyByIdOrPrefix(keys, idOrPrefix),

    async authenticate(token) {
      const parsed = token === undefined ? undefined : parseApiKeyToken(token);
      if (parsed === undefined) throw new ServiceError('API_KEY_INVALID');
      const row = await findApiKeyByPrefix(ctx.db, parsed.prefix);
      // A key made just after a rotation is hashed under a master key this instance may not have read yet
      // (from the key file): look again first, as for a sealed secret (factors/totp.ts).
      if (row !== undefined && row.revoked_at_ms === null && !ctx.keyring.keys.has(row.hash_key_id)) {
        await ctx.refreshKeyring(row.hash_key_id);
      }
      // A key hashed under a master key that has left the keyring cannot be checked: it is refused as any
      // unknown key (the operator makes a new one).
      const valid =
        row !== undefined &&
        row.revoked_at_ms === null &&
        ctx.keyring.keys.has(row.hash_key_id) &&
        sameApiKeyHash(
          row.secret_hash,
          hashApiKeySecret(ctx.keyring, row.hash_key_id, parsed.prefix, parsed.secret),
        );
      if (!valid || row === undefined) throw new ServiceError('API_KEY_INVALID');
      const nowMs = ctx.nowMs();
      const used = await reserveLoginAttempt(ctx.db, {
        emailKey: budgetKey(row.id),
        nowMs,
        maxFailures: row.requests_per_minute,
        windowMs: API_BUDGET_WINDOW_MS,
      });
      if (used === undefined) {
        const startMs = (await findLoginWindowStart(ctx.db, budgetKey(row.id))) ?? nowMs;
        throw new ServiceError('API_RATE_LIMITED', {
          retryAfterMs: Math.max(1000, startMs + API_BUDGET_WINDOW_MS - nowMs),
        });
      }
      await touchApiKey(ctx.db, { id: row.id, nowMs, intervalMs: API_KEY_TOUCH_INTERVAL_MS });
      // After a master key rotation, a key moves to the current master key the first time it is used (only
      // then is its secret at hand), so the old master key stops being needed for it.
      const currentKeyId = ctx.keyring.currentKeyId;
      if (row.hash_key_id !== currentKeyId) {
        await rehashApiKey(ctx.db, {
          id: row.id,
          fromKeyId: row.hash_key_id,
          keyId: currentKeyId,
          secretHash: hashApiKeySecret(ctx.keyring, currentKeyId, parsed.prefix, parsed.secret),
        });
      }
      return { keyId: row.id, tenant: row.tenant, scopes: decodeScopes(row.scopes) };
    },
  };
}
