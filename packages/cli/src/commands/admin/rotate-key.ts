/**
 * `twofa admin rotate-key`: a new master key becomes current and every stored TOTP secret is re-sealed under
 * it, online, in batches, resumable; `--status` says where things stand; `--retire KID` drops an old key.
 */
import { CliError } from '../../errors.ts';
import { parseIntegerOption } from '../../options.ts';
import { type AdminContext, defineAdminCommand, isoTime } from './kit.ts';

/** Test hook: pause (never return) after this many batches, so a test can kill the process half-way. */
const PAUSE_HOOK = 'TWOFA_TEST_ROTATE_PAUSE_AFTER_BATCHES';
/** Progress is reported on stderr every this many batches. */
const PROGRESS_EVERY_BATCHES = 10;

export const rotateKey = defineAdminCommand({
  path: ['rotate-key'],
  summary: 'make a new master key current and re-seal every stored secret under it (online, resumable)',
  help: `Rotates the master key without stopping the service:
1. the new key becomes current: the database records it, and every running instance seals under it within
   5 seconds (they re-read that record; none needs a restart). This command waits --wait seconds for them;
2. every TOTP secret is opened with its old key and sealed again under the new one, in batches of
   --batch-size, each batch its own transaction. Interrupted (a crash, Ctrl-C)? Run rotate-key again: it
   resumes the same rotation and skips what is done;
3. when nothing needs the old key any more (rotate-key --status), retire it: --retire OLD.

Where the new key comes from:
- the key file (SQLite, TWOFA_MASTER_KEY unset): rotate-key generates the key and adds it to the file;
- TWOFA_MASTER_KEY: first add the new key, as kid:base64 after the current one, to TWOFA_MASTER_KEY on every
  instance and restart them one at a time; then run rotate-key --to KID with that same list. rotate-key
  refuses while a running instance lacks the key (instances report the key ids they hold, never the keys).
Recovery codes are one-way hashes under a subkey of the key that made them: they cannot be re-hashed, so an
old key stays needed until its unused codes are used or replaced (--status counts them; --retire refuses).
API keys are one-way hashes too: each moves to the new key on its next request, so an old key stays needed
until every unrevoked API key has been used once since the rotation, or revoked (--status counts them).
Wrong-password windows are keyed by the current key: they start over when it changes (once per rotation).

Options:
  --to KID          the key to make current (an id in TWOFA_MASTER_KEY); needed with TWOFA_MASTER_KEY
  --status          show the current key, the rotation's progress, what each key still holds, the running
                    instances and their key ids; changes nothing
  --retire KID      drop a key nothing needs any more: removed from the key file, or (TWOFA_MASTER_KEY) you
                    remove it from the list on every instance
  --batch-size N    secrets per transaction (default 100, 1 to 10000)
  --wait SECONDS    how long running instances get to see the new key (default 10; 0 when none runs)

Example:
  twofa admin rotate-key --data-dir ./twofa-data
  TWOFA_MASTER_KEY=old:...,k2:... twofa admin rotate-key --to k2 --yes
  twofa admin rotate-key --status
  twofa admin rotate-key --retire old`,
  options: {
    to: { type: 'string' },
    status: { type: 'boolean' },
    retire: { type: 'string' },
    'batch-size': { type: 'string' },
    wait: { type: 'string' },
  },
  async run(ctx) {
    const { values } = ctx;
    const modes = [values.status === true, values.retire !== undefined, values.to !== undefined].filter(
      Boolean,
    );
    if (modes.length > 1) throw new CliError('rotate-key takes one of --to, --status and --retire');
    if (values.status === true) return showStatus(ctx);
    if (values.retire !== undefined) return retire(ctx, values.retire);
    return rotate(ctx, {
      toKeyId: values.to,
      batchSize:
        values['batch-size'] === undefined
          ? undefined
          : parseIntegerOption(values['batch-size'], '--batch-size', 1, 10_000),
      waitMs:
        values.wait === undefined ? undefined : parseIntegerOption(values.wait, '--wait', 0, 3600) * 1000,
    });
  },
});

async function rotate(
  ctx: AdminContext,
  input: { toKeyId: string | undefined; batchSize: number | undefined; waitMs: number | undefined },
): Promise<number> {
  const operator = await ctx.operator();
  const status = await operator.keyStatus();
  const unfinished = status.rotation !== null && status.rotation.finishedAtMs === null;
  await ctx.confirm(
    unfinished
      ? `Resume the rotation to master key '${status.currentKeyId}' (re-seal the secrets still under other keys)?`
      : `Make ${input.toKeyId === undefined ? 'a new master key' : `master key '${input.toKeyId}'`} current (replacing '${status.currentKeyId}') and re-seal every stored secret under it?`,
  );
  const pauseAfter = pauseHook(ctx);
  const report = await operator.rotateKey({
    ...(input.toKeyId === undefined ? {} : { toKeyId: input.toKeyId }),
    ...(input.batchSize === undefined ? {} : { batchSize: input.batchSize }),
    ...(input.waitMs === undefined ? {} : { propagationMs: input.waitMs }),
    onStarted: ({ keyId, previousKeyId, resumed }) => {
      ctx.io.stderr.write(
        resumed
          ? `twofa: resuming the rotation to '${keyId}' (from '${previousKeyId}')\n`
          : `twofa: '${keyId}' is now the current master key (was '${previousKeyId}'); re-sealing\n`,
      );
    },
    onBatch: async ({ batches, resealed }) => {
      if (batches % PROGRESS_EVERY_BATCHES === 0)
        ctx.io.stderr.write(`twofa: ${resealed} secrets re-sealed\n`);
      if (pauseAfter !== undefined && batches >= pauseAfter) {
        ctx.io.stderr.write(`twofa: paused after ${batches} batches (${PAUSE_HOOK})\n`);
        // A timer keeps the process alive: a bare pending promise lets Node exit (status 13) when nothing else
        // is scheduled, and the test would see the rotation end instead of a crash half-way.
        await new Promise(() => setInterval(() => {}, 60_000));
      }
    },
  });
  const lines = [
    report.finished
      ? `master key rotated: '${report.keyId}' is current (was '${report.previousKeyId}'); ${report.resealed} TOTP secrets re-sealed${report.resumed ? ' in this run (resumed)' : ''}`
      : report.failed.length > 0
        ? `rotation to '${report.keyId}' unfinished: ${report.failed.length} TOTP secrets could not be opened (credential ids: ${report.failed.join(', ')}); ${report.resealed} re-sealed`
        : `rotation to '${report.keyId}' unfinished: secrets are still under other keys (is another rotate-key running?); run rotate-key again`,
  ];
  if (report.recoveryCodesUnderOtherKeys > 0) {
    lines.push(
      `${report.recoveryCodesUnderOtherKeys} unused recovery codes are hashed under older keys (one-way: they cannot be re-hashed); keep those keys until the codes are used or replaced`,
    );
  }
  if (report.apiKeysUnderOtherKeys > 0) {
    lines.push(
      `${report.apiKeysUnderOtherKeys} API keys are hashed under older keys (one-way: each moves to the new key on its next request); keep those keys until each API key has been used once, or revoke it (twofa admin api-key list)`,
    );
  }
  if (report.finished && report.recoveryCodesUnderOtherKeys + report.apiKeysUnderOtherKeys === 0) {
    lines.push(
      `nothing needs '${report.previousKeyId}' any more: retire it with twofa admin rotate-key --retire ${report.previousKeyId}`,
    );
  }
  ctx.print(report, lines.join('\n'));
  return report.finished ? 0 : 1;
}

function pauseHook(ctx: AdminContext): number | undefined {
  const value = ctx.io.env[PAUSE_HOOK];
  return value === undefined || value === ''
    ? undefined
    : parseIntegerOption(value, PAUSE_HOOK, 1, 1_000_000);
}

async function showStatus(ctx: AdminContext): Promise<number> {
  const operator = await ctx.operator();
  const status = await operator.keyStatus();
  const rotation = status.rotation;
  const retirable = status.keysInUse
    .filter(
      (entry) =>
        entry.keyId !== status.currentKeyId &&
        entry.totpSecrets + entry.recoveryCodes + entry.phoneNumbers + entry.apiKeys === 0,
    )
    .map((entry) => entry.keyId);
  const unused = (status.keyringKeyIds ?? []).filter(
    (keyId) => keyId !== status.currentKeyId && !status.keysInUse.some((entry) => entry.keyId === keyId),
  );
  const data = {
    ...status,
    rotation:
      rotation === null
        ? null
        : {
            startedAt: isoTime(rotation.startedAtMs),
            finishedAt: rotation.finishedAtMs === null ? null : isoTime(rotation.finishedAtMs),
            resealed: rotation.resealed,
          },
    instances: status.instances.map((instance) => ({ ...instance, seenAt: isoTime(instance.seenAtMs) })),
    retirable: [...retirable, ...unused],
  };
  const source =
    status.keySource.kind === 'file' ? `the key file ${status.keySource.path}` : 'TWOFA_MASTER_KEY';
  const lines = [
    `current key:    ${status.currentKeyId} (${status.currentFrom === 'database' ? 'named by the database' : 'the first of the list'})`,
    `previous key:   ${status.previousKeyId ?? 'none'}`,
    `rotation:       ${
      data.rotation === null
        ? 'none yet'
        : data.rotation.finishedAt === null
          ? `UNFINISHED (started ${data.rotation.startedAt}, ${data.rotation.resealed} re-sealed): run rotate-key to resume`
          : `finished ${data.rotation.finishedAt} (${data.rotation.resealed} re-sealed)`
    }`,
    'in use:',
    ...(status.keysInUse.length === 0
      ? ['  nothing is stored under any key']
      : status.keysInUse.map(
          (entry) =>
            `  ${entry.keyId.padEnd(20)} ${entry.totpSecrets} TOTP secrets, ${entry.phoneNumbers} phone numbers, ${entry.recoveryCodes} unused recovery codes, ${entry.apiKeys} API keys`,
        )),
    `keys here:      ${status.keyringKeyIds === null ? 'unreadable' : status.keyringKeyIds.join(', ')} (from ${source})`,
    'instances:',
    ...(status.instances.length === 0
      ? ['  none running (no heartbeat in the last 15 seconds)']
      : data.instances.map(
          (instance) =>
            `  ${instance.host} pid ${instance.pid}: keys ${instance.keyIds.join(', ')}; sealing under ${instance.currentKeyId}; seen ${instance.seenAt}`,
        )),
    `retirable:      ${data.retirable.length === 0 ? 'none' : data.retirable.join(', ')}`,
  ];
  ctx.print(data, lines.join('\n'));
  return 0;
}

async function retire(ctx: AdminContext, keyId: string): Promise<number> {
  const operator = await ctx.operator();
  await ctx.confirm(`Retire master key '${keyId}'? Nothing stored may need it afterwards.`);
  const retired = await operator.retireKey(keyId);
  ctx.print(
    retired,
    retired.removedFrom === 'file'
      ? `retired '${keyId}': removed from the key file`
      : `retired '${keyId}': nothing needs it; now remove it from TWOFA_MASTER_KEY on every instance (restart them one at a time)`,
  );
  return 0;
}
