/** `twofa admin unlock EMAIL`: lifts an account's guess limits, audited. */
import { defineAdminCommand } from './kit.ts';

const LIMIT_NAMES = {
  codes: '6-digit codes',
  passwords: 'passwords',
  recovery_codes: 'recovery codes',
} as const;

export const unlock = defineAdminCommand({
  path: ['unlock'],
  args: 'EMAIL',
  summary: "lift an account's code and password locks",
  help: `Lifts every guess limit of the account: the lock on 6-digit codes (and its growth: the next lock is
15 minutes again), the wrong-password window of its email, and the recovery-code window. For an owner
locked out by someone guessing; the limits close again after as many wrong guesses as before.
Needs the master key (the password window is keyed by it). Recorded in the audit log as account.unlocked,
with the limits that were closed. Asks first; --yes skips the question. No account with that email: exit 1.

Example:
  twofa admin unlock alice@example.com --yes`,
  options: {},
  positionals: 1,
  async run(ctx) {
    const email = ctx.positionals[0]!;
    const operator = await ctx.operator();
    const user = await operator.showUser(email);
    await ctx.confirm(`Lift the code and password locks of ${user.email}?`);
    const unlocked = await operator.unlock(email);
    const names = unlocked.cleared.map((limit) => LIMIT_NAMES[limit]);
    ctx.print(
      { userId: unlocked.userId, email: user.email, cleared: unlocked.cleared },
      names.length === 0
        ? `${user.email} had no lock; its limits start over (recorded in the audit log)`
        : `unlocked ${user.email}: ${names.join(', ')} (recorded in the audit log)`,
    );
    return 0;
  },
});
