/**
 * `twofa admin`: the operator's command. Each subcommand is one file in this folder (see ./kit.ts for the
 * framework) and one line in ADMIN_COMMANDS; the dispatcher picks the one whose words start the arguments
 * (the longest match: `audit verify` before `audit`).
 */
import type { Command } from '../../command.ts';
import { CliError } from '../../errors.ts';
import type { IO } from '../../io.ts';
import { apiKeyCreate, apiKeyList, apiKeyRevoke } from './api-key.ts';
import { auditList } from './audit-list.ts';
import { auditVerify } from './audit-verify.ts';
import { type AdminCommand, AdminFailure, helpOf, runAdminCommand } from './kit.ts';
import { reset2fa } from './reset-2fa.ts';
import { rotateKey } from './rotate-key.ts';
import { unlock } from './unlock.ts';
import { usersList } from './users-list.ts';
import { usersShow } from './users-show.ts';

/** Every subcommand, in the order `twofa admin --help` lists them. */
export const ADMIN_COMMANDS: readonly AdminCommand[] = [
  usersList,
  usersShow,
  reset2fa,
  unlock,
  auditList,
  auditVerify,
  rotateKey,
  apiKeyCreate,
  apiKeyList,
  apiKeyRevoke,
];

function adminHelp(): string {
  const rows = ADMIN_COMMANDS.map((command) => {
    const words = [...command.path, ...(command.args === undefined ? [] : [command.args])].join(' ');
    return `  ${words.padEnd(24)}  ${command.summary}`;
  });
  return `Usage: twofa admin <command> [options]

The operator's command: against the database twofa serve uses (the same TWOFA_* settings, SQLite or
PostgreSQL), find users, reset a lost second factor, lift locks, read and verify the audit log, rotate the
master key, make and revoke the API keys other apps call the JSON API with.

Commands:
${rows.join('\n')}

Every command takes --help, --json (the result as one JSON document), --yes (no question before a change;
required when standard input is not a terminal) and --data-dir DIR (TWOFA_DATA_DIR).
Exit status: 0 done, 1 failed (no such user, a broken audit log, "no" at the prompt), 2 bad usage or settings.

Example:
  twofa admin users list --data-dir ./twofa-data
  TWOFA_DATABASE_URL=postgres://twofa@db.example.com/twofa twofa admin users list --json

Run twofa admin <command> --help for more.
`;
}

/** The subcommand the arguments name (longest match), and the arguments after its words. */
export function findAdminCommand(
  args: readonly string[],
): { command: AdminCommand; rest: string[] } | undefined {
  let best: AdminCommand | undefined;
  for (const command of ADMIN_COMMANDS) {
    const matches = command.path.every((word, index) => args[index] === word);
    if (matches && (best === undefined || command.path.length > best.path.length)) best = command;
  }
  return best === undefined ? undefined : { command: best, rest: args.slice(best.path.length) };
}

export const admin: Command = {
  name: 'admin',
  summary: "the operator's command: users, reset 2FA, unlock, audit log, master key rotation, API keys",
  get help() {
    return adminHelp();
  },
  helpFor(args) {
    const found = findAdminCommand(args);
    return found === undefined ? adminHelp() : helpOf(found.command);
  },
  async run(args: string[], io: IO) {
    if (args.length === 0) {
      io.stderr.write(adminHelp());
      return 2;
    }
    const found = findAdminCommand(args);
    if (found === undefined) {
      // Echo the word only when it looks like a mistyped command, not a secret pasted in the wrong place.
      const shown = /^[a-z][a-z0-9-]{0,19}$/.test(args[0] ?? '') ? `"${args[0]}"` : 'given';
      const names = [...new Set(ADMIN_COMMANDS.map((command) => command.path.join(' ')))].join(', ');
      throw new CliError(
        `unknown admin command ${shown}; the commands are ${names} (see twofa admin --help)`,
      );
    }
    try {
      return await runAdminCommand(found.command, found.rest, io);
    } catch (error) {
      if (!(error instanceof AdminFailure)) throw error;
      io.stderr.write(`twofa: ${error.message}\n`);
      return 1;
    }
  },
};
