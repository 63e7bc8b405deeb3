/** `twofa admin audit [--user EMAIL]`: the latest events of the audit log. */
import { parseIntegerOption } from '../../options.ts';
import { defineAdminCommand, describeEventLine, isoTime } from './kit.ts';

export const auditList = defineAdminCommand({
  path: ['audit'],
  summary: 'show the latest events of the audit log (everyone, or one account)',
  help: `Prints the latest events, newest first, one a line: number, time (UTC), type, user id, details, address.
With --json: {"events": [{"seq", "at", "type", "userId", "ip", "userAgent", "requestId", "details"}]}.
To check that nobody changed the log, use twofa admin audit verify.

Options:
  --user EMAIL      only this account's events (no such account: exit 1)
  --limit N         at most N events (default 50, at most 10000)

Example:
  twofa admin audit --user alice@example.com --limit 20
  twofa admin audit --json > audit.json`,
  options: {
    user: { type: 'string' },
    limit: { type: 'string' },
  },
  async run(ctx) {
    const server = await import('@twofa/server');
    const limit =
      ctx.values.limit === undefined
        ? 50
        : parseIntegerOption(ctx.values.limit, '--limit', 1, server.MAX_USERS_PAGE);
    const operator = await ctx.operator();
    const events = await operator.auditEvents({
      limit,
      ...(ctx.values.user === undefined ? {} : { email: ctx.values.user }),
    });
    ctx.print(
      {
        events: events.map((event) => ({
          seq: event.seq,
          at: isoTime(event.atMs),
          type: event.type,
          userId: event.userId,
          ip: event.ip,
          userAgent: event.userAgent,
          requestId: event.requestId,
          details: event.details,
        })),
      },
      events.length === 0 ? 'no events' : events.map(describeEventLine).join('\n'),
    );
    return 0;
  },
});
