import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { parseOptions } from '../options.ts';

const OPTIONS = {
  'data-dir': { type: 'string' },
} as const;

export const audit: Command = {
  name: 'audit',
  summary: "check the web service's tamper-evident audit log (audit verify)",
  help: `Usage: twofa audit verify [--data-dir DIR]

Walks the audit log of the twofa web service and checks every link of its hash chain. Reads the same
settings as twofa serve (TWOFA_DATABASE_URL for PostgreSQL, else the SQLite file in TWOFA_DATA_DIR); needs
no master key and changes nothing.

Intact: prints "audit log intact: N events, head <hash>" and exits 0. Someone who can write to the
database can still rewrite an event, every event after it and the head into a chain that verifies; so keep
N and the hash where the database's administrators cannot write (a ticket, another system's log). Later,
after an intact run, SELECT hash FROM audit_events WHERE seq = N must still give that hash.
Broken: prints the first event that was changed, removed or inserted, and exits 1.
No log to check, or bad settings: a one-line error, exit 2.

Options:
  --data-dir DIR    the directory twofa serve keeps its SQLite database in (TWOFA_DATA_DIR)

Example:
  twofa audit verify --data-dir ./twofa-data
  TWOFA_DATABASE_URL=postgres://twofa@db.example.com/twofa twofa audit verify
`,
  async run(args, io) {
    const { values, positionals } = parseOptions('audit', args, OPTIONS, 1);
    if (positionals[0] !== 'verify') {
      throw new CliError(
        positionals[0] === undefined
          ? 'audit needs a subcommand: twofa audit verify (see twofa audit --help)'
          : 'unknown audit subcommand; the only one is verify (see twofa audit --help)',
      );
    }
    const env = { ...io.env };
    if (values['data-dir'] !== undefined) env.TWOFA_DATA_DIR = values['data-dir'];
    // Loaded here, not at the top: no other command should pay for (or depend on) the server's code.
    const server = await import('@twofa/server');
    let result: Awaited<ReturnType<typeof server.verifyAuditLog>>;
    try {
      result = await server.verifyAuditLog({ env });
    } catch (error) {
      if (error instanceof server.ConfigError || error instanceof server.AuditLogUnavailableError) {
        throw new CliError(error.message, { cause: error });
      }
      throw error;
    }
    if (result.ok) {
      io.stdout.write(`audit log intact: ${result.count} events, head ${result.headHash}\n`);
      return 0;
    }
    const where = result.seq > 0 ? ` at event #${result.seq}` : '';
    io.stdout.write(`audit log broken${where}: ${result.message}\n`);
    return 1;
  },
};
