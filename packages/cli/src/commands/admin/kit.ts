/**
 * The framework every `twofa admin` subcommand is written in: one file per subcommand in this folder, listed
 * in ./index.ts. A subcommand declares its words (`['users', 'list']`), its help and options, and whether it
 * changes data; the dispatcher gives it a context that has
 * - the parsed options, with the ones every subcommand takes (`--json`, `--yes`, `--data-dir`);
 * - `operator()`: the server's operator services on the database `twofa serve` uses (the same TWOFA_*
 *   settings; SQLite or PostgreSQL), opened on first use and closed by the dispatcher;
 * - `confirm()`: the question a destructive command asks before it changes anything (skipped with --yes;
 *   refused, exit 2, when there is no terminal to ask at);
 * - `print()`: one result, as text or (with --json) as one JSON document on stdout.
 *
 * Exit status: 0 done, 1 failed (no such user, the audit log is broken, the answer was no), 2 bad usage or
 * settings. Errors are one line on stderr, `twofa: <message>`, never a secret or a stack trace.
 */
import { resolve } from 'node:path';
import type { ParseArgsOptionsConfig } from 'node:util';
import type { OperatorServices } from '@twofa/server';
import { CliError } from '../../errors.ts';
import type { IO } from '../../io.ts';
import { parseOptions } from '../../options.ts';

/** Options every admin subcommand takes. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'data-dir': { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

/** The common options' lines of every subcommand's help. */
export const COMMON_HELP = `Options for every admin command:
  --json            print the result as one JSON document (errors stay one line on stderr)
  --yes, -y         do not ask before changing anything (needed when standard input is not a terminal)
  --data-dir DIR    the directory twofa serve keeps its SQLite database in (TWOFA_DATA_DIR)
  --help, -h        this help

The database is the one twofa serve uses, from the same settings: TWOFA_DATABASE_URL (PostgreSQL) or the
SQLite file in TWOFA_DATA_DIR; commands that need the master key read TWOFA_MASTER_KEY (or the key file).
Exit status: 0 done, 1 failed, 2 bad usage or settings.`;

/** A command ran but did not do its job (exit 1): no such user, a broken log, a "no" at the prompt. */
export class AdminFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminFailure';
  }
}

export interface AdminCommand<O extends ParseArgsOptionsConfig = ParseArgsOptionsConfig> {
  /** The words after `twofa admin`, e.g. `['users', 'list']`. */
  readonly path: readonly string[];
  /** The arguments after the words, for the usage line, e.g. `EMAIL`. */
  readonly args?: string;
  /** One line for `twofa admin --help`. */
  readonly summary: string;
  /** The help text's body (what it does, its own options, an example); usage and common options are added. */
  readonly help: string;
  /** Options besides COMMON_OPTIONS. */
  readonly options: O;
  /** Positional arguments after the words: exactly this many. @default 0 */
  readonly positionals?: number;
  run(ctx: AdminContext<O>): Promise<number>;
}

export interface AdminContext<O extends ParseArgsOptionsConfig = ParseArgsOptionsConfig> {
  readonly io: IO;
  readonly values: ReturnType<typeof parseOptions<O & typeof COMMON_OPTIONS>>['values'];
  readonly positionals: readonly string[];
  /** --json was given. */
  readonly json: boolean;
  /** The environment the server reads, with --data-dir applied. */
  readonly env: Record<string, string | undefined>;
  /** The operator services, opened on first call. */
  operator(): Promise<OperatorServices>;
  /** Asks `question` (y/N) unless --yes; throws CliError without a terminal, AdminFailure on "no". */
  confirm(question: string): Promise<void>;
  /** Prints the result: `data` as JSON with --json, else `text` (a trailing newline is added if missing). */
  print(data: unknown, text: string): void;
}

/** Typed helper: `defineAdminCommand({...})` keeps the options' types for `ctx.values`. */
export function defineAdminCommand<O extends ParseArgsOptionsConfig>(command: AdminCommand<O>): AdminCommand {
  return command as unknown as AdminCommand;
}

/** Milliseconds since the epoch as ISO 8601 UTC, to the second. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One audit event on one line: `#12 2026-11-30T01:02:03Z sign_in.failed user=ID step=password ip=...`. */
export function describeEventLine(event: {
  seq: number;
  atMs: number;
  type: string;
  userId?: string | null;
  ip: string | null;
  details: Readonly<Record<string, string | number | boolean>>;
}): string {
  const parts = [`#${event.seq}`, isoTime(event.atMs), event.type];
  if (event.userId !== undefined && event.userId !== null) parts.push(`user=${event.userId}`);
  for (const [name, value] of Object.entries(event.details)) parts.push(`${name}=${String(value)}`);
  if (event.ip !== null) parts.push(`ip=${event.ip}`);
  return parts.join(' ');
}

/** `twofa admin users list`: the full name of a subcommand. */
export function nameOf(command: AdminCommand): string {
  return `admin ${command.path.join(' ')}`;
}

/** The whole help text of a subcommand. */
export function helpOf(command: AdminCommand): string {
  const args = command.args === undefined ? '' : ` ${command.args}`;
  return `Usage: twofa ${nameOf(command)}${args} [options]\n\n${capitalize(command.summary)}.\n\n${command.help.trimEnd()}\n\n${COMMON_HELP}\n`;
}

/**
 * Runs one subcommand on `args` (the words already removed): parses options, opens the operator services on
 * demand and always closes them.
 */
export async function runAdminCommand(command: AdminCommand, args: string[], io: IO): Promise<number> {
  const name = nameOf(command);
  const parsed = parseOptions(
    name,
    args,
    { ...command.options, ...COMMON_OPTIONS },
    command.positionals ?? 0,
  );
  const expected = command.positionals ?? 0;
  if (parsed.positionals.length < expected) {
    throw new CliError(`${name} needs ${command.args ?? 'an argument'} (see twofa ${name} --help)`);
  }
  const values = parsed.values as AdminContext['values'];
  const env = { ...io.env };
  const dataDir = values['data-dir'];
  if (typeof dataDir === 'string') env.TWOFA_DATA_DIR = resolve(io.cwd, dataDir);
  const json = values.json === true;
  let opened: Promise<OperatorServices> | undefined;
  const ctx: AdminContext = {
    io,
    values,
    positionals: parsed.positionals,
    json,
    env,
    operator() {
      opened ??= openOperatorFor(env);
      return opened;
    },
    async confirm(question) {
      if (values.yes === true) return;
      if (io.confirm === undefined) {
        throw new CliError(
          `${name} changes data and there is no terminal to ask at: add --yes to confirm (see twofa ${name} --help)`,
        );
      }
      if (!(await io.confirm(`${question} [y/N] `))) throw new AdminFailure('cancelled: nothing was changed');
    },
    print(data, text) {
      if (json) io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      else if (text !== '') io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
  };
  try {
    return await command.run(ctx);
  } catch (error) {
    throw await asCliError(error);
  } finally {
    if (opened !== undefined) await opened.then((operator) => operator.close()).catch(() => {});
  }
}

async function openOperatorFor(env: Record<string, string | undefined>): Promise<OperatorServices> {
  // Loaded here, not at the top: no other command should pay for (or depend on) the server's code.
  const server = await import('@twofa/server');
  return server.openOperator({ env });
}

/**
 * The server's errors as the CLI reports them: bad settings and an unreachable database are usage errors
 * (exit 2); a service's refusal (no such user, a key still in use) is a failure (exit 1).
 */
async function asCliError(error: unknown): Promise<unknown> {
  if (error instanceof CliError || error instanceof AdminFailure) return error;
  const server = await import('@twofa/server');
  if (
    error instanceof server.ConfigError ||
    error instanceof server.OperatorUnavailableError ||
    error instanceof server.AuditLogUnavailableError
  ) {
    return new CliError(error.message, { cause: error });
  }
  if (error instanceof server.ServiceError) return new AdminFailure(server.operatorMessage(error));
  return error;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
