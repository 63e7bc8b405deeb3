/**
 * The code step's statement budget: how many SQL statements one POST /login/code costs, wrong code and right
 * code, on each dialect. Every statement is a round trip on PostgreSQL and a prepare-or-step on SQLite, and
 * the code step is the request the service exists for (issue #12): a change that adds one fails here and has
 * to say why. The counts include BEGIN and COMMIT; the rules they enforce have their own suites.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { currentRequestMeta } from '../../src/services/request-meta.ts';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/dialects.ts';
import { accountWithTOTP, browserFor, codeNow, logIn } from '../support/flows.ts';

/**
 * Wrong code: the client's request budget (1, issue #10: one upsert, shared by every instance), the session
 * (1), the attempt reserved, which is also the lock and budget check (1), the attempt spent (1), then one
 * transaction: BEGIN, the credential, the check decided wrong (1), the audit row (3: head, row, head hash),
 * COMMIT. Before issue #12: 14; before issue #10: 10 (a separate lock check, no client budget, and no
 * decision: every reservation counted as a failure, so replays locked the user).
 */
const WRONG_CODE_BUDGET = 11;
/**
 * Right code: the same four, then one transaction: BEGIN, the credential, the step claimed, the check decided
 * right (failures cleared, its budget check given back), the pending session deleted, the full one inserted,
 * the audit row (3), COMMIT. Before: 16, then 14.
 */
const RIGHT_CODE_BUDGET = 14;

function withinBudget(statements: readonly string[], budget: number): void {
  assert.ok(
    statements.length <= budget,
    `${statements.length} statements, budget ${budget}:\n  ${statements.join('\n  ')}`,
  );
}

for (const dialect of DIALECTS) {
  describe(`code step statements (${dialect.name})`, () => {
    let t: TestApp;
    // Each statement with the request it ran for: the services' timers (the notices' poll, the purge) run
    // statements of their own at any moment, which are not the code step's.
    let statements: { sql: string; requestId: string | null }[] = [];
    before(async () => {
      t = await makeTestApp({
        dialect,
        onQuery: (sql) => statements.push({ sql, requestId: currentRequestMeta().requestId }),
      });
    });
    after(() => t.close());

    async function pendingSignIn() {
      const { email, secret } = await accountWithTOTP(t);
      const b = browserFor(t);
      // From a socket, as in production: the per-client budget is counted (in-process requests have no
      // address, and nothing to count it under).
      b.peer = '192.0.2.44';
      await logIn(b, email);
      await b.get('/login/code');
      return { b, secret };
    }

    async function countPost(
      send: () => Promise<{ status: number; headers: Headers }>,
      status: number,
    ): Promise<string[]> {
      statements = [];
      const page = await send();
      assert.equal(page.status, status);
      const requestId = page.headers.get('x-request-id');
      assert.ok(requestId, 'the response names its request');
      const seen = statements.filter((s) => s.requestId === requestId).map((s) => s.sql);
      statements = [];
      return seen;
    }

    test('a wrong code', async () => {
      const { b, secret } = await pendingSignIn();
      const right = codeNow(secret, t.clock);
      const wrong = right === '000000' ? '111111' : '000000';
      const seen = await countPost(() => b.post('/login/code', { code: wrong }), 401);
      withinBudget(seen, WRONG_CODE_BUDGET);
    });

    test('a right code', async () => {
      const { b, secret } = await pendingSignIn();
      const seen = await countPost(() => b.post('/login/code', { code: codeNow(secret, t.clock) }), 303);
      withinBudget(seen, RIGHT_CODE_BUDGET);
    });
  });
}
