/**
 * The code step's statement budget: how many SQL statements one POST /login/code costs, wrong code and right
 * code, on each dialect. Every statement is a round trip on PostgreSQL and a prepare-or-step on SQLite, and
 * the code step is the request the service exists for (issue #12): a change that adds one fails here and has
 * to say why. The counts include BEGIN and COMMIT; the rules they enforce have their own suites.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeTestApp, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/dialects.ts';
import { accountWithTOTP, browserFor, codeNow, logIn } from '../support/flows.ts';

for (const dialect of DIALECTS) {
  describe(`code step statements (${dialect.name})`, () => {
    let t: TestApp;
    let statements: string[] = [];
    before(async () => {
      t = await makeTestApp({ dialect, onQuery: (sql) => statements.push(sql) });
    });
    after(() => t.close());

    async function pendingSignIn() {
      const { email, secret } = await accountWithTOTP(t);
      const b = browserFor(t);
      await logIn(b, email);
      await b.get('/login/code');
      return { b, secret };
    }

    async function countPost(send: () => Promise<{ status: number }>, status: number): Promise<string[]> {
      statements = [];
      const page = await send();
      assert.equal(page.status, status);
      const seen = statements;
      statements = [];
      return seen;
    }

    test('a wrong code', async () => {
      const { b, secret } = await pendingSignIn();
      const right = codeNow(secret, t.clock);
      const wrong = right === '000000' ? '111111' : '000000';
      const seen = await countPost(() => b.post('/login/code', { code: wrong }), 401);
      console.log(`${dialect.name} wrong code: ${seen.length} statements\n  ${seen.join('\n  ')}`);
    });

    test('a right code', async () => {
      const { b, secret } = await pendingSignIn();
      const seen = await countPost(() => b.post('/login/code', { code: codeNow(secret, t.clock) }), 303);
      console.log(`${dialect.name} right code: ${seen.length} statements\n  ${seen.join('\n  ')}`);
    });
  });
}
