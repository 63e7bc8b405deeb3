/**
 * `twofa admin api-key create|list|revoke`: the keys other apps call the JSON API (/api/v1) with. A key is
 * shown once, at creation; the database keeps a public prefix and a keyed hash of the secret part.
 */
import { CliError } from '../../errors.ts';
import { parseIntegerOption } from '../../options.ts';
import { AdminFailure, defineAdminCommand, isoTime } from './kit.ts';

/** A key as `list` and `create` print it (never its secret). */
function keyJson(key: import('@twofa/server').ApiKeyView) {
  return {
    id: key.id,
    prefix: key.prefix,
    name: key.name,
    tenant: key.tenant,
    scopes: key.scopes,
    requestsPerMinute: key.requestsPerMinute,
    createdAt: isoTime(key.createdAtMs),
    lastUsedAt: key.lastUsedAtMs === null ? null : isoTime(key.lastUsedAtMs),
    revokedAt: key.revokedAtMs === null ? null : isoTime(key.revokedAtMs),
  };
}

export const apiKeyCreate = defineAdminCommand({
  path: ['api-key', 'create'],
  summary: 'make an API key for an app (shown once)',
  help: `Makes a key for the JSON API and prints it once: store it in the calling app's secrets. The service
keeps only its public prefix (twofa_<prefix>_...) and a keyed hash of the rest, so it cannot be shown again;
a lost key is revoked and replaced. Needs the master key. Recorded in the audit log as api_key.created.

Options:
  --name NAME           what the key is for, e.g. "billing app" (required; 1-64 letters, digits, spaces
                        and . _ : @ + -)
  --scopes LIST         comma-separated, of enroll (start and confirm set-ups, new recovery codes),
                        verify (check codes), manage (list and remove factors, read audit events) (required)
  --tenant ID           whose users the key reaches: keys of one tenant share its subjects (default: default;
                        1-64 of A-Z a-z 0-9 . _ : -)
  --requests-per-minute N   the key's budget; beyond it, 429 with Retry-After (default 600)

Example:
  twofa admin api-key create --name "billing app" --scopes enroll,verify,manage
  twofa admin api-key create --name checkout --scopes verify --tenant shop --json`,
  options: {
    name: { type: 'string' },
    scopes: { type: 'string' },
    tenant: { type: 'string' },
    'requests-per-minute': { type: 'string' },
  },
  async run(ctx) {
    const server = await import('@twofa/server');
    const { name, scopes } = ctx.values;
    if (name === undefined) throw new CliError('admin api-key create needs --name (see --help)');
    if (scopes === undefined) throw new CliError('admin api-key create needs --scopes (see --help)');
    const asked = scopes.split(',').map((scope) => scope.trim());
    const unknown = asked.filter((scope) => !(server.API_SCOPES as readonly string[]).includes(scope));
    if (unknown.length > 0 || asked.length === 0) {
      throw new CliError(`--scopes takes a comma-separated list of ${server.API_SCOPES.join(', ')}`);
    }
    const perMinute = ctx.values['requests-per-minute'];
    const requestsPerMinute =
      perMinute === undefined
        ? server.DEFAULT_API_REQUESTS_PER_MINUTE
        : parseIntegerOption(perMinute, '--requests-per-minute', 1, 1_000_000);
    const operator = await ctx.operator();
    const { key, token } = await operator.createApiKey({
      name,
      tenant: ctx.values.tenant ?? 'default',
      scopes: asked,
      requestsPerMinute,
    });
    ctx.print(
      { ...keyJson(key), token },
      `${token}\n\nThe API key for "${key.name}" (tenant ${key.tenant}, scopes ${key.scopes.join(',')}). ` +
        'It is shown this once: store it now.\nSend it as: Authorization: Bearer <key>',
    );
    return 0;
  },
});

export const apiKeyList = defineAdminCommand({
  path: ['api-key', 'list'],
  summary: 'list the API keys (never their secrets)',
  help: `Prints one key per line: prefix, name, tenant, scopes, created, last used (written at most once a
minute), revoked. Revoked keys stay listed as a record.

Example:
  twofa admin api-key list
  twofa admin api-key list --json`,
  options: {},
  async run(ctx) {
    const operator = await ctx.operator();
    const keys = await operator.listApiKeys();
    const lines = keys.map((key) =>
      [
        key.prefix,
        JSON.stringify(key.name),
        `tenant=${key.tenant}`,
        `scopes=${key.scopes.join(',')}`,
        `created=${isoTime(key.createdAtMs)}`,
        `last-used=${key.lastUsedAtMs === null ? 'never' : isoTime(key.lastUsedAtMs)}`,
        ...(key.revokedAtMs === null ? [] : [`revoked=${isoTime(key.revokedAtMs)}`]),
      ].join('  '),
    );
    ctx.print({ keys: keys.map(keyJson) }, keys.length === 0 ? 'no API keys' : lines.join('\n'));
    return 0;
  },
});

export const apiKeyRevoke = defineAdminCommand({
  path: ['api-key', 'revoke'],
  args: 'PREFIX-OR-ID',
  summary: 'revoke an API key',
  help: `Revokes the key with this prefix (the part after twofa_ in the key, as api-key list shows it) or id:
it is refused from the next request on. Recorded in the audit log as api_key.revoked. Asks first; --yes
skips the question. No such unrevoked key: exit 1.

Example:
  twofa admin api-key revoke k3m9a0qzx2b4 --yes`,
  options: {},
  positionals: 1,
  async run(ctx) {
    const which = ctx.positionals[0]!;
    const operator = await ctx.operator();
    const key = (await operator.listApiKeys()).find(
      (k) => (k.prefix === which || k.id === which) && k.revokedAtMs === null,
    );
    if (key === undefined)
      throw new AdminFailure(`no unrevoked API key has prefix or id ${JSON.stringify(which)}`);
    await ctx.confirm(`Revoke the API key ${key.prefix} ("${key.name}", tenant ${key.tenant})?`);
    const revoked = await operator.revokeApiKey(key.id);
    if (revoked === null) throw new AdminFailure(`the API key ${key.prefix} was revoked meanwhile`);
    ctx.print(keyJson(revoked), `revoked ${revoked.prefix} ("${revoked.name}") (recorded in the audit log)`);
    return 0;
  },
});
