/**
 * twofa admin users show, reset-2fa, unlock and audit, on SQLite and (with TWOFA_TEST_PG_URL) PostgreSQL.
 * Threats covered: a destructive command run by a script by mistake (it refuses without --yes when there is no
 * terminal, and a "no" at the prompt changes nothing); an operator's change that leaves no trace (reset-2fa
 * and unlock are audit events, in the chain, naming twofa admin).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, test } from 'node:test';
import {
  codeAt,
  DIALECTS,
  rejectsCode,
  signUpWithTotp,
  uniqueEmail,
} from '../../../server/test/support/dialects.ts';
import { type AdminDatabase, admin, adminDatabase } from '../support/admin.ts';
import { assertUsageError, BIN } from '../support/cli.ts';
import { skipUnlessTool } from '../support/tools.ts';

const opened: AdminDatabase[] = [];
// Each test's databases close when it ends: PostgreSQL's connections are shared with other suites.
afterEach(() => Promise.all(opened.splice(0).map((db) => db.services.close())));

const PASSWORD = 'correct horse battery';

interface JsonEvent {
  type: string;
  userId: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

async function eventsOf(db: AdminDatabase, email: string): Promise<JsonEvent[]> {
  const result = await admin(['audit', '--user', email, '--json'], db.env);
  assert.equal(result.status, 0, result.stderr);
  return (JSON.parse(result.stdout) as { events: JsonEvent[] }).events;
}

/** Ten wrong 6-digit codes over two pending sign-ins: the user's code lock closes. */
async function lockCodes(db: AdminDatabase, email: string): Promise<void> {
  for (let round = 0; round < 2; round++) {
    const login = await db.services.auth.login({ email, password: PASSWORD });
    assert.equal(login.kind, 'pending');
    for (let i = 0; i < 5; i++) {
      await db.services.auth
        .verifySecondFactor({ pendingToken: login.issued.token, code: '000000' })
        .catch(() => undefined);
    }
  }
}

/** Ten wrong passwords: the email's window closes. */
async function lockPasswords(db: AdminDatabase, email: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await db.services.auth.login({ email, password: 'wrong password!' }).catch(() => undefined);
  }
  await rejectsCode(db.services.auth.login({ email, password: PASSWORD }), 'RATE_LIMITED');
}

for (const dialect of DIALECTS) {
  describe(`twofa admin accounts on ${dialect.name}`, () => {
    async function database(): Promise<AdminDatabase> {
      const db = await adminDatabase(dialect);
      opened.push(db);
      return db;
    }

    test('users show: factors, recovery codes, locks and events; --json; an unknown email exits 1', async () => {
      const db = await database();
      const user = await signUpWithTotp(db.services, db.clock);
      const text = await admin(['users', 'show', user.email], db.env);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`^email: +${user.email.replace(/[.]/g, '\\.')}$`, 'm'));
      assert.match(text.stdout, /^second factors: +totp, recovery$/m);
      assert.match(text.stdout, /^recovery codes: +10 unused$/m);
      assert.match(text.stdout, /^6-digit codes: +open$/m);
      assert.match(text.stdout, /second_factor\.enabled/);

      const json = JSON.parse(
        (await admin(['users', 'show', user.email.toUpperCase(), '--json'], db.env)).stdout,
      );
      assert.equal(json.id, user.userId);
      assert.deepEqual(json.factors, ['totp', 'recovery']);
      assert.equal(json.recoveryCodesLeft, 10);
      assert.deepEqual(json.locks, {
        codesLockedUntil: null,
        passwordsLockedUntil: null,
        recoveryCodesSlowedUntil: null,
      });

      const missing = await admin(['users', 'show', 'nobody@example.com'], db.env);
      assert.equal(missing.status, 1);
      assert.equal(missing.stdout, '');
      assert.equal(missing.stderr, 'twofa: There is no account with this email. (email; USER_NOT_FOUND)\n');
      assertUsageError(await admin(['users', 'show'], db.env), [], /users show needs EMAIL/);
    });

    test('reset-2fa refuses without --yes when there is no terminal, and "no" at the prompt changes nothing', async () => {
      const db = await database();
      const user = await signUpWithTotp(db.services, db.clock);
      const script = await admin(['reset-2fa', user.email], db.env);
      assertUsageError(script, [], /changes data and there is no terminal to ask at: add --yes/);
      const declined = await admin(['reset-2fa', user.email], db.env, { answer: false });
      assert.equal(declined.status, 1);
      assert.equal(declined.questions.length, 1);
      assert.match(
        declined.questions[0]!,
        /Remove every second factor \(totp, recovery\) and 10 recovery codes of /,
      );
      assert.equal(declined.stderr, 'twofa: cancelled: nothing was changed\n');
      const still = await db.services.accounts.getUser(user.userId);
      assert.deepEqual(still?.factors, ['totp', 'recovery']);
    });

    test('reset-2fa: every factor and recovery code gone, sessions ended, password sign-in alone; audited', async () => {
      const db = await database();
      const user = await signUpWithTotp(db.services, db.clock);
      const other = await signUpWithTotp(db.services, db.clock);
      await lockCodes(db, user.email);
      const result = await admin(['reset-2fa', user.email], db.env, { answer: true });
      assert.equal(result.status, 0, result.stderr);
      assert.match(
        result.stdout,
        /^reset 2FA of \S+: removed totp, recovery \(10 unused recovery codes\); sessions ended/,
      );
      const after = await db.services.accounts.getUser(user.userId);
      assert.deepEqual(after?.factors, []);
      assert.equal(after?.recoveryCodesLeft, 0);
      assert.equal(await db.services.auth.resolveSession(user.token), null, 'the old session ended');
      const login = await db.services.auth.login({ email: user.email, password: PASSWORD });
      assert.equal(login.kind, 'full', 'the password alone signs in');
      assert.equal(
        await db.services.auth.secondFactorWaitMs(user.userId),
        0,
        'the code lock went with the factor',
      );
      assert.deepEqual((await db.services.accounts.getUser(other.userId))?.factors, ['totp', 'recovery']);

      const [reset] = (await eventsOf(db, user.email)).filter(
        (event) => event.type === 'second_factor.reset',
      );
      assert.ok(reset, 'second_factor.reset is in the audit log');
      assert.equal(reset.userId, user.userId);
      assert.deepEqual(reset.details, { by: 'operator', factors: 'totp,recovery' });
      assert.match(reset.userAgent ?? '', /^twofa admin \(.+\)$/);
      const verify = await admin(['audit', 'verify'], db.env);
      assert.equal(verify.status, 0, verify.stdout);

      const again = await admin(['reset-2fa', user.email, '--json'], db.env);
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(JSON.parse(again.stdout).factors, [], 'nothing left to reset: no question, exit 0');
    });

    test('unlock: the code lock and the password window open again; audited with what was closed', async () => {
      const db = await database();
      const user = await signUpWithTotp(db.services, db.clock);
      await lockCodes(db, user.email);
      await lockPasswords(db, user.email);
      assert.ok((await db.services.auth.secondFactorWaitMs(user.userId)) > 0);
      const shown = JSON.parse((await admin(['users', 'show', user.email, '--json'], db.env)).stdout);
      assert.notEqual(shown.locks.codesLockedUntil, null);
      assert.notEqual(shown.locks.passwordsLockedUntil, null);

      assertUsageError(await admin(['unlock', user.email], db.env), [], /add --yes/);
      const result = await admin(['unlock', user.email, '--yes', '--json'], db.env);
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout).cleared, ['codes', 'passwords']);
      assert.equal(await db.services.auth.secondFactorWaitMs(user.userId), 0);
      const login = await db.services.auth.login({ email: user.email, password: PASSWORD });
      assert.equal(login.kind, 'pending', 'the password is taken again');
      await db.services.auth.verifySecondFactor({
        pendingToken: login.issued.token,
        code: codeAt(user.secret, db.clock.nowMs()),
      });
      const [unlocked] = (await eventsOf(db, user.email)).filter(
        (event) => event.type === 'account.unlocked',
      );
      assert.deepEqual(unlocked?.details, { by: 'operator', cleared: 'codes,passwords' });
    });

    test("audit: everyone's latest events newest first, --limit, --user; an unknown user exits 1", async () => {
      const db = await database();
      const email = uniqueEmail('audit');
      await db.services.accounts.signUp({ email, password: PASSWORD });
      await signUpWithTotp(db.services, db.clock);
      const all = await admin(['audit', '--limit', '2'], db.env);
      assert.equal(all.status, 0, all.stderr);
      const lines = all.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 2);
      const seqs = lines.map((line) => Number(/^#(\d+) /.exec(line)?.[1]));
      assert.ok(seqs[0]! > seqs[1]!, 'newest first');
      const mine = await eventsOf(db, email);
      assert.deepEqual(
        mine.map((event) => event.type),
        ['account.created'],
      );
      const missing = await admin(['audit', '--user', 'nobody@example.com'], db.env);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /USER_NOT_FOUND/);
    });
  });
}

/**
 * The real binary at a real terminal (a pseudo-terminal from util-linux `script`): the question is asked there,
 * and only "y" goes ahead.
 */
describe('twofa admin at a terminal', () => {
  test('unlock asks on the terminal: "n" changes nothing (exit 1), "y" goes ahead (exit 0)', {
    skip: skipUnlessTool('script'),
  }, async () => {
    const sqlite = DIALECTS.find((dialect) => dialect.name === 'sqlite')!;
    const db = await adminDatabase(sqlite);
    opened.push(db);
    const email = uniqueEmail('tty');
    await db.services.accounts.signUp({ email, password: PASSWORD });
    const atTerminal = (answer: string) =>
      spawnSync('script', ['-qec', `"${process.execPath}" "${BIN}" admin unlock ${email}`, '/dev/null'], {
        input: `${answer}\n`,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'dumb', ...db.env },
      });
    const no = atTerminal('n');
    assert.equal(no.status, 1, no.stdout);
    assert.match(no.stdout, /Lift the code and password locks of \S+\? \[y\/N\]/);
    assert.match(no.stdout, /cancelled: nothing was changed/);
    const yes = atTerminal('y');
    assert.equal(yes.status, 0, yes.stdout);
    assert.match(yes.stdout, /had no lock; its limits start over/);
    const unlocked = (await eventsOf(db, email)).filter((event) => event.type === 'account.unlocked');
    assert.equal(unlocked.length, 1, 'only the "y" run changed anything');
  });
});
