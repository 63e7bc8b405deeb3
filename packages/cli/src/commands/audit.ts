/**
 * `twofa audit verify`: the older spelling of `twofa admin audit verify` (commands/admin/audit-verify.ts),
 * kept working for the scripts and cron jobs that use it.
 */
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { auditVerify } from './admin/audit-verify.ts';
import { admin } from './admin/index.ts';
import { helpOf } from './admin/kit.ts';

export const audit: Command = {
  name: 'audit',
  summary: "check the web service's tamper-evident audit log (twofa admin audit verify)",
  get help() {
    return helpOf(auditVerify).replace('Usage: twofa admin audit verify', 'Usage: twofa audit verify');
  },
  async run(args, io) {
    const [subcommand, ...rest] = args;
    if (subcommand !== 'verify') {
      throw new CliError(
        subcommand === undefined
          ? 'audit needs a subcommand: twofa audit verify (see twofa audit --help)'
          : 'unknown audit subcommand; the only one is verify (the others are under twofa admin audit)',
      );
    }
    return admin.run(['audit', 'verify', ...rest], io);
  },
};
