/** `twofa admin users show EMAIL`: one account in detail: factors, recovery codes left, locks, latest events. */
import { defineAdminCommand, describeEventLine, isoTime } from './kit.ts';

export const usersShow = defineAdminCommand({
  path: ['users', 'show'],
  args: 'EMAIL',
  summary: 'show one account: second factors, recovery codes left, locks, latest events',
  help: `Shows the account with this email: its id, when it was created, its second factors (the authenticator
app: active since, or a set-up pending), how many unused recovery codes it has, which guess limits are
closed now (6-digit codes, passwords, recovery codes) and until when, and its latest 10 events.
The password limit is keyed by the master key: without TWOFA_MASTER_KEY (or the key file) it is not shown.
No account with that email: exit 1.

Example:
  twofa admin users show alice@example.com --data-dir ./twofa-data`,
  options: {},
  positionals: 1,
  async run(ctx) {
    const operator = await ctx.operator();
    const user = await operator.showUser(ctx.positionals[0]!);
    const when = (ms: number | null) => (ms === null || ms === 0 ? null : isoTime(ms));
    const locks =
      user.locks === null
        ? null
        : {
            codesLockedUntil: when(user.locks.codesLockedUntilMs),
            passwordsLockedUntil: when(user.locks.passwordsLockedUntilMs),
            recoveryCodesSlowedUntil: when(user.locks.recoveryCodesSlowedUntilMs),
          };
    const data = {
      id: user.id,
      email: user.email,
      createdAt: isoTime(user.createdAtMs),
      factors: user.factors,
      totp: { activeSince: when(user.totp.activeSinceMs), pendingSince: when(user.totp.pendingSinceMs) },
      recoveryCodesLeft: user.recoveryCodesLeft,
      locks,
      recentEvents: user.recentEvents.map((event) => ({ ...event, at: isoTime(event.atMs) })),
    };
    const lockText = (until: string | null) => (until === null ? 'open' : `closed until ${until}`);
    const lines = [
      `email:           ${user.email}`,
      `id:              ${user.id}`,
      `created:         ${data.createdAt}`,
      `second factors:  ${user.factors.join(', ') || 'none (2FA is off)'}`,
      `authenticator:   ${data.totp.activeSince === null ? 'none' : `active since ${data.totp.activeSince}`}${
        data.totp.pendingSince === null ? '' : `; a set-up pending since ${data.totp.pendingSince}`
      }`,
      `recovery codes:  ${user.recoveryCodesLeft} unused`,
      ...(locks === null
        ? ['locks:           unknown (the master key could not be read)']
        : [
            `6-digit codes:   ${lockText(locks.codesLockedUntil)}`,
            `passwords:       ${lockText(locks.passwordsLockedUntil)}`,
            `recovery codes:  ${locks.recoveryCodesSlowedUntil === null ? 'open' : `slowed until ${locks.recoveryCodesSlowedUntil}`}`,
          ]),
      'latest events:',
      ...(user.recentEvents.length === 0
        ? ['  none']
        : user.recentEvents.map((e) => `  ${describeEventLine(e)}`)),
    ];
    ctx.print(data, lines.join('\n'));
    return 0;
  },
});
