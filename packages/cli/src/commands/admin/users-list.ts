/** `twofa admin users list`: every account, with its second factors, in email order. */
import { parseIntegerOption } from '../../options.ts';
import { defineAdminCommand, isoTime } from './kit.ts';

export const usersList = defineAdminCommand({
  path: ['users', 'list'],
  summary: 'list the accounts and their second factors',
  help: `Prints one account per line: email, second factors (none: 2FA is off), created (UTC), id.
With --json: {"users": [{"id", "email", "createdAt", "factors": [...]}], "next": EMAIL or null}.

Options:
  --limit N         at most N accounts (default 100, at most 10000)
  --after EMAIL     start after this email (the "next" of the previous page)

Example:
  twofa admin users list --data-dir ./twofa-data
  twofa admin users list --json --limit 500 --after carol@example.com`,
  options: {
    limit: { type: 'string' },
    after: { type: 'string' },
  },
  async run(ctx) {
    const server = await import('@twofa/server');
    const limit =
      ctx.values.limit === undefined
        ? server.DEFAULT_USERS_PAGE
        : parseIntegerOption(ctx.values.limit, '--limit', 1, server.MAX_USERS_PAGE);
    const operator = await ctx.operator();
    const users = await operator.listUsers({
      limit,
      ...(ctx.values.after === undefined ? {} : { afterEmail: ctx.values.after }),
    });
    const next = users.length === limit ? (users.at(-1)?.email ?? null) : null;
    const lines = users.map((user) =>
      [user.email, user.factors.join(',') || 'none', isoTime(user.createdAtMs), user.id].join('  '),
    );
    if (next !== null) lines.push(`(more: --after ${next})`);
    ctx.print(
      {
        users: users.map((user) => ({
          id: user.id,
          email: user.email,
          createdAt: isoTime(user.createdAtMs),
          factors: user.factors,
        })),
        next,
      },
      users.length === 0 ? 'no accounts' : lines.join('\n'),
    );
    return 0;
  },
});
