/**
 * Threat: mail meant for an address sent to an API subject's placeholder (`api-subject:<id>`), or the
 * placeholder treated as an account by the pages or the operator. A subject has no address: its events
 * (2FA on, a lock, 2FA off) are audited like anyone's but never mailed; the messenger drops anything
 * addressed to a placeholder whatever asked for it; sign-up and "forgot password" refuse the placeholder as
 * an address; `twofa admin users list` leaves subjects out. Every dialect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMessenger } from '../../src/services/messages/messenger.ts';
import type { OutgoingMessage, Transport } from '../../src/services/messages/transports.ts';
import { openOperator } from '../../src/services/operator.ts';
import { SUBJECT_EMAIL_PREFIX } from '../../src/store/api-subjects-repo.ts';
import { type ApiTestApp, makeApiTestApp, secretOfUri } from '../support/api.ts';
import { codeAt, DIALECTS, rejectsCode, serveEnv } from '../support/dialects.ts';
import { readOutbox } from '../support/outbox.ts';

test('the messenger sends nothing to a placeholder address, and says so without the address', async () => {
  const sent: OutgoingMessage[] = [];
  const transport: Transport = {
    send: async (message) => {
      sent.push(message);
    },
  };
  const lines: string[] = [];
  const messenger = createMessenger({
    transports: { email: transport, sms: transport },
    log: (name, fields) => lines.push(JSON.stringify({ name, ...fields })),
  });
  const message = { channel: 'email', purpose: 'notice', subject: 's', text: 't' } as const;
  await messenger.send({ ...message, to: `${SUBJECT_EMAIL_PREFIX}1234` });
  messenger.sendLater({ ...message, to: `${SUBJECT_EMAIL_PREFIX}5678` });
  await messenger.idle();
  assert.equal(sent.length, 0, 'nothing reached the transport');
  assert.equal(lines.filter((line) => line.includes('message.no_address')).length, 2);
  assert.ok(lines.every((line) => !line.includes(SUBJECT_EMAIL_PREFIX)));
  await messenger.send({ ...message, to: 'owner@example.com' });
  assert.equal(sent.length, 1, 'a real address still gets its message');
});

for (const dialect of DIALECTS) {
  describe(`API subjects get no messages (${dialect.name})`, () => {
    let t: ApiTestApp;
    before(async () => {
      t = await makeApiTestApp({ dialect });
    });
    after(() => t.close());

    test('a subject turning 2FA on, locking its codes and turning 2FA off is audited, never mailed', async () => {
      const started = await t.call('POST', '/api/v1/subjects/mail-1/enrollments/totp', { body: {} });
      assert.equal(started.status, 201);
      const secret = secretOfUri(started.json.otpauthUri);
      const confirmed = await t.call(
        'POST',
        `/api/v1/subjects/mail-1/enrollments/${started.json.enrollmentId}/confirm`,
        { body: { code: codeAt(secret, t.clock.now()) } },
      );
      assert.equal(confirmed.status, 200);
      const right = codeAt(secret, t.clock.now());
      const wrong = right === '000000' ? '111111' : '000000';
      for (let i = 0; i < 10; i++) {
        await t.call('POST', '/api/v1/subjects/mail-1/verify', { body: { code: wrong } });
      }
      assert.equal((await t.call('DELETE', '/api/v1/subjects/mail-1/factors/totp')).status, 204);
      const events = await t.call('GET', '/api/v1/subjects/mail-1/events?limit=100');
      const types = events.json.events.map((event: { type: string }) => event.type);
      for (const type of ['second_factor.enabled', 'lock.started', 'second_factor.disabled']) {
        assert.ok(types.includes(type), `${type} is audited`);
      }
      await t.services.messages.flush();
      const mails = await readOutbox(t.config);
      assert.deepEqual(
        mails.filter((mail) => mail.to.includes(SUBJECT_EMAIL_PREFIX)),
        [],
        'no mail to a placeholder',
      );
      assert.ok(t.logs.every((line) => !line.includes('"message.sent"') && !line.includes('message.outbox')));
    });

    test('sign-up and "forgot password" refuse a placeholder as an address', async () => {
      const placeholder = `${SUBJECT_EMAIL_PREFIX}00000000-0000-4000-8000-000000000000`;
      await rejectsCode(
        t.services.accounts.register({ email: placeholder, password: 'correct horse battery' }),
        'INVALID_EMAIL',
      );
      await rejectsCode(t.services.passwordReset.request(placeholder), 'INVALID_EMAIL');
    });

    test('twofa admin users list leaves subjects out', async () => {
      await t.call('POST', '/api/v1/subjects/mail-2/enrollments/totp', { body: {} });
      const operator = await openOperator({ env: serveEnv(t.config) });
      try {
        const users = await operator.listUsers({ limit: 500 });
        assert.ok(users.every((user) => !user.email.startsWith(SUBJECT_EMAIL_PREFIX)));
      } finally {
        await operator.close();
      }
    });
  });
}
