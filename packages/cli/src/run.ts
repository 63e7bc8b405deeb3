/**
 * `twofa`: dispatches to a command and turns errors into exit codes. 0 ok, 1 "no" (an invalid code),
 * 2 usage or input error, printed as one line `twofa: <message>` (the stack only with --debug).
 */
import { readFileSync } from 'node:fs';
import { OTPError } from '@twofa/otp';
import type { Command } from './command.ts';
import { admin } from './commands/admin/index.ts';
import { audit } from './commands/audit.ts';
import { code } from './commands/code.ts';
import { exportCommand } from './commands/export.ts';
import { importCommand } from './commands/import.ts';
import { keygen } from './commands/keygen.ts';
import { qr } from './commands/qr.ts';
import { serve } from './commands/serve.ts';
import { uri } from './commands/uri.ts';
import { verify } from './commands/verify.ts';
import { CliError } from './errors.ts';
import type { IO } from './io.ts';

export const COMMANDS: readonly Command[] = [
  keygen,
  code,
  verify,
  uri,
  qr,
  importCommand,
  exportCommand,
  serve,
  admin,
  audit,
];

const MAIN_HELP = `Usage: twofa <command> [options]

One-time passwords (TOTP, RFC 6238; HOTP, RFC 4226) from the command line.

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(8)}  ${command.summary}`).join('\n')}

Secrets given as arguments show up in ps and shell history: every command that needs one also reads it
from - (standard input), from the TWOFA_SECRET environment variable, or from --key-file FILE.

Options for every command:
  --help, -h   show the command's help, with examples
  --debug      show the stack trace of an error

twofa --version prints the version.

Exit status: 0 ok, 1 the code is invalid (verify) or the audit log is broken (audit verify),
2 usage or input error.

Example:
  twofa keygen --issuer Example --account alice@example.com --key-file alice.key
  twofa code --key-file alice.key
  twofa verify 123456 --key-file alice.key

Run twofa <command> --help for more.
`;

export async function run(argv: readonly string[], io: IO): Promise<number> {
  // Options after `--` are arguments, not flags: only look for --help/--debug before it.
  const end = argv.indexOf('--');
  const flags = end === -1 ? argv : argv.slice(0, end);
  const debug = flags.includes('--debug');
  const help = flags.includes('--help') || flags.includes('-h');
  const args = argv.filter((arg, index) => arg !== '--debug' || (end !== -1 && index > end));
  try {
    const [name, ...rest] = args;
    if (name === undefined) {
      io.stderr.write(MAIN_HELP);
      return 2;
    }
    if (name === '--help' || name === '-h') {
      io.stdout.write(MAIN_HELP);
      return 0;
    }
    if (name === '--version' || name === '-V') {
      io.stdout.write(`${readVersion()}\n`);
      return 0;
    }
    if (name === 'help') {
      const topic = rest[0] === undefined ? undefined : findCommand(rest[0]);
      io.stdout.write(topic?.help ?? MAIN_HELP);
      return 0;
    }
    const command = findCommand(name);
    if (help) {
      io.stdout.write(
        command.helpFor?.(rest.filter((arg) => arg !== '--help' && arg !== '-h')) ?? command.help,
      );
      return 0;
    }
    return await command.run(rest, io);
  } catch (error) {
    io.stderr.write(`twofa: ${describeError(error)}\n`);
    if (debug) {
      for (let e: unknown = error; e instanceof Error; e = e.cause)
        io.stderr.write(`${e.stack ?? e.message}\n`);
    }
    return 2;
  }
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command) return command;
  // Echo the name only when it looks like a mistyped command, not a secret pasted in the wrong place.
  const shown = /^[a-z][a-z-]{0,19}$/.test(name) ? `"${name}"` : 'given';
  throw new CliError(`unknown command ${shown}; the commands are ${COMMANDS.map((c) => c.name).join(', ')}`);
}

function describeError(error: unknown): string {
  let message: string;
  if (error instanceof CliError || error instanceof OTPError) message = error.message;
  else if (error instanceof Error)
    message = `unexpected error: ${error.message} (run with --debug for details)`;
  else message = `unexpected error: ${String(error)}`;
  return message.replace(/\s*\n\s*/g, ' ');
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
