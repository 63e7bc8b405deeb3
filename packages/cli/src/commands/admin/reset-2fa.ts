/** `twofa admin reset-2fa EMAIL`: removes every second factor of an account (a lost phone), audited. */
import { defineAdminCommand } from './kit.ts';

export const reset2fa = defineAdminCommand({
  path: ['reset-2fa'],
  args: 'EMAIL',
  summary: 'remove every second factor and recovery code of an account (a lost phone)',
  help: `For someone who lost their authenticator and their recovery codes, once you have checked who they are
(by a channel an attacker does not control): removes the account's authenticator app (and any pending
set-up), codes by email and text message (codes already sent stop working), every recovery code, any code
lock and any pending account recovery, and ends all of its sessions. The password and the phone number stay:
the owner signs in with the password alone, then turns 2FA on again. Recorded in the audit log as
second_factor.reset (the owner sees it on their security page, and the running service emails them a
notice). An account without 2FA: nothing changes, exit 0.
Asks before changing anything; --yes skips the question (and is needed without a terminal).
No account with that email: exit 1.

Example:
  twofa admin reset-2fa alice@example.com --data-dir ./twofa-data`,
  options: {},
  positionals: 1,
  async run(ctx) {
    const email = ctx.positionals[0]!;
    const operator = await ctx.operator();
    // Looked up first: no question about an account that does not exist.
    const user = await operator.showUser(email);
    if (user.factors.length === 0 && user.totp.pendingSinceMs === null) {
      ctx.print(
        { userId: user.id, email: user.email, factors: [], recoveryCodesRemoved: 0 },
        `${user.email} has no second factor: nothing to reset`,
      );
      return 0;
    }
    await ctx.confirm(
      `Remove every second factor (${user.factors.join(', ') || 'a pending set-up'}) and ${user.recoveryCodesLeft} recovery codes of ${user.email}, and end its sessions?`,
    );
    const reset = await operator.resetSecondFactor(email);
    ctx.print(
      {
        userId: reset.userId,
        email: user.email,
        factors: reset.factors,
        recoveryCodesRemoved: reset.recoveryCodesRemoved,
        accountRecoveryCancelled: reset.accountRecoveryCancelled,
      },
      `reset 2FA of ${user.email}: removed ${reset.factors.join(', ') || 'a pending set-up'} (${reset.recoveryCodesRemoved} unused recovery codes)${reset.accountRecoveryCancelled ? '; pending account recovery cancelled' : ''}; sessions ended; recorded in the audit log`,
    );
    return 0;
  },
});
