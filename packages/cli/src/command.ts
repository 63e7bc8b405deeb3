import type { IO } from './io.ts';

/** One `twofa` subcommand. `run` gets the arguments after the command name, --help and --debug removed. */
export interface Command {
  name: string;
  /** One line for `twofa --help`. */
  summary: string;
  /** The full `twofa <name> --help` text, with at least one example. */
  help: string;
  /** The help for `twofa <name> ARGS --help`, for a command with subcommands of its own (`admin`). */
  helpFor?(args: string[]): string;
  run(args: string[], io: IO): Promise<number>;
}

/** The secret-source paragraph of every help text that takes a secret. */
export const SECRET_HELP = `The secret (a base32 secret or an otpauth:// URI) comes from one of:
  --key-file FILE   a file holding it (keep it private: chmod 600)
  TWOFA_SECRET      the environment, when no other source is given
  -                 standard input, e.g. from a password manager
  SECRET, --uri     the command line: visible to other users in ps and kept in shell history`;

/** The key-parameter paragraph; flags override what an otpauth:// URI says. */
export const KEY_HELP = `Key parameters (default: whatever the URI says, else SHA1, 6 digits, 30 s TOTP):
  --algorithm SHA1|SHA256|SHA512   --digits 6..10   --period SECONDS
  --hotp, --counter N              HOTP (RFC 4226) with counter N instead of TOTP`;
