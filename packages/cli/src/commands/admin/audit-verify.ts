/** `twofa admin audit verify`: checks the audit log's hash chain (also spelled `twofa audit verify`). */
import { defineAdminCommand } from './kit.ts';

export const auditVerify = defineAdminCommand({
  path: ['audit', 'verify'],
  summary: "check the audit log's hash chain: was any event changed, removed or inserted?",
  help: `Walks the audit log and checks every link of its hash chain. Read-only: needs no master key, runs no
migrations, creates nothing.

Intact: prints "audit log intact: N events, head <hash>" and exits 0. Someone who can write to the
database can still rewrite an event, every event after it and the head into a chain that verifies; so keep
N and the hash where the database's administrators cannot write (a ticket, another system's log). Later,
after an intact run, SELECT hash FROM audit_events WHERE seq = N must still give that hash.
Broken: prints the first event that was changed, removed or inserted, and exits 1.
No log to check, or bad settings: a one-line error, exit 2.
With --json: {"ok": true, "count", "headSeq", "headHash"} or {"ok": false, "count", "seq", "problem", "message"}.
(twofa audit verify is the same command, kept for the scripts that use it.)

Example:
  twofa admin audit verify --data-dir ./twofa-data
  TWOFA_DATABASE_URL=postgres://twofa@db.example.com/twofa twofa admin audit verify`,
  options: {},
  async run(ctx) {
    const server = await import('@twofa/server');
    const result = await server.verifyAuditLog({ env: ctx.env });
    if (result.ok) {
      ctx.print(result, `audit log intact: ${result.count} events, head ${result.headHash}`);
      return 0;
    }
    const where = result.seq > 0 ? ` at event #${result.seq}` : '';
    ctx.print(result, `audit log broken${where}: ${result.message}`);
    return 1;
  },
});
