// Threat: messages that leak or hang. A message must reach a real SMTP server (STARTTLS honoured) or the
// outbox, a text message must reach the webhook signed (so a forged POST to the SMS gateway is refused), and
// a gateway that is down or slow must make sending fail within bounded time, never hang a request. Log lines
// say where a message went, never to whom or what.
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createMessenger, MessageNotSentError } from '../../src/services/messages/messenger.ts';
import {
  type OutgoingMessage,
  outboxTransport,
  SMS_ATTEMPTS,
  signWebhook,
  smsWebhookTransport,
  smtpTransport,
} from '../../src/services/messages/transports.ts';
import { DIALECTS } from '../support/dialects.ts';
import { checkWebhookSignature } from '../support/sms.ts';

const EMAIL: OutgoingMessage = {
  channel: 'email',
  to: 'alice@example.com',
  purpose: 'notice',
  subject: 'twofa: two-factor authentication is on',
  text: 'Two-factor authentication was turned on.',
  html: '<p>Two-factor authentication was turned on.</p>',
};
const SMS: OutgoingMessage = {
  channel: 'sms',
  to: '+15550100',
  purpose: 'sign_in_code',
  subject: '',
  text: 'Your code: 123456',
};

/** A real SMTP server in-process (nodemailer's authors' smtp-server): what arrives, parsed, and whether over TLS. */
interface Received {
  from: string | undefined;
  to: string[];
  secure: boolean;
  raw: string;
}
let smtp: SMTPServer;
let smtpPort: number;
const received: Received[] = [];

before(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    // smtp-server's built-in self-signed certificate serves STARTTLS.
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          secure: session.secure,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

test('SMTP: the mail arrives over STARTTLS, from TWOFA_MAIL_FROM, text and HTML', async () => {
  const transport = smtpTransport({
    // The test server's certificate is self-signed; production verifies (nodemailer's default).
    url: `smtp://127.0.0.1:${smtpPort}/?tls.rejectUnauthorized=false`,
    from: 'twofa <no-reply@twofa.test>',
  });
  const before = received.length;
  await transport.send(EMAIL);
  transport.close?.();
  const mail = received[before];
  assert.ok(mail, 'one message arrived');
  assert.equal(mail.secure, true, 'the connection was upgraded with STARTTLS');
  assert.equal(mail.from, 'no-reply@twofa.test');
  assert.deepEqual(mail.to, ['alice@example.com']);
  const parsed = await simpleParser(mail.raw);
  assert.equal(parsed.subject, EMAIL.subject);
  assert.equal(parsed.text?.trim(), EMAIL.text);
  assert.match(String(parsed.html), /<p>Two-factor authentication was turned on\.<\/p>/);
});

test('SMTP: the transporter is made at the first message; close() before any is quiet', async () => {
  // nodemailer is loaded at the first message (idle memory): a transport that never sent closes cleanly...
  const idle = smtpTransport({ url: `smtp://127.0.0.1:${smtpPort}`, from: 'a@b.test' });
  assert.doesNotThrow(() => idle.close?.());
  // ...and the first two messages of another, sent at once, both arrive (one transporter made for both).
  const transport = smtpTransport({
    url: `smtp://127.0.0.1:${smtpPort}/?tls.rejectUnauthorized=false`,
    from: 'twofa <no-reply@twofa.test>',
  });
  const before = received.length;
  await Promise.all([transport.send(EMAIL), transport.send({ ...EMAIL, subject: 'second' })]);
  transport.close?.();
  assert.equal(received.length, before + 2, 'both messages arrived');
});

test('SMTP: a server that does not answer fails the send within bounded time (no hang)', async () => {
  // A port that accepts nothing: the connection is refused at once.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const lines: string[] = [];
  const messenger = createMessenger({
    transports: {
      email: smtpTransport({ url: `smtp://127.0.0.1:${port}`, from: 'a@b.test' }),
      sms: smtpTransport({ url: `smtp://127.0.0.1:${port}`, from: 'a@b.test' }),
    },
    log: (name, fields) => lines.push(JSON.stringify({ name, ...fields })),
  });
  await assert.rejects(messenger.send(EMAIL), MessageNotSentError);
  assert.match(lines.join('\n'), /message\.failed/);
  assert.ok(!lines.join('\n').includes('alice@example.com'), 'no address in the log');
  await messenger.close();
});

test('a transport that hangs: send() gives up at the deadline; close() still waits for it', async () => {
  let finish: () => void = () => {};
  const hanging = { send: () => new Promise<void>((resolve) => (finish = resolve)) };
  const lines: string[] = [];
  const messenger = createMessenger({
    transports: { email: hanging, sms: hanging },
    log: (name, fields) => lines.push(JSON.stringify({ name, ...fields })),
    deadlineMs: 50,
  });
  await assert.rejects(messenger.send(EMAIL), MessageNotSentError);
  assert.match(lines.join('\n'), /"error":"SendDeadlineError"/);
  let closed = false;
  const closing = messenger.close().then(() => {
    closed = true;
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(closed, false, 'the send is still in flight');
  finish();
  await closing;
});

test('outbox: one .eml file (mode 0600) per email, a text file per SMS; the log says where, never what', async () => {
  const config = await DIALECTS[0]!.makeConfig();
  const dir = join(config.dataDir, 'outbox');
  const lines: string[] = [];
  const transport = outboxTransport({
    dir,
    from: 'twofa <no-reply@twofa.test>',
    log: (name, fields) => lines.push(JSON.stringify({ name, ...fields })),
  });
  await transport.send(EMAIL);
  await transport.send(SMS);
  const files = (await readdir(dir)).sort();
  assert.equal(files.length, 2);
  const eml = files.find((f) => f.includes('-notice-') && f.endsWith('.eml'));
  assert.ok(eml, `an .eml file: ${files}`);
  assert.equal((await stat(join(dir, eml))).mode & 0o777, 0o600);
  const parsed = await simpleParser(await readFile(join(dir, eml)));
  assert.equal(parsed.subject, EMAIL.subject);
  assert.equal(parsed.text?.trim(), EMAIL.text);
  const sms = files.find((f) => f.endsWith('.sms.txt'));
  assert.ok(sms);
  assert.match(await readFile(join(dir, sms), 'utf8'), /Your code: 123456/);
  const log = lines.join('\n');
  assert.match(log, new RegExp(eml));
  for (const secret of ['alice@example.com', '+15550100', '123456', 'turned on']) {
    assert.ok(!log.includes(secret), `the log holds ${secret}`);
  }
});

/** A webhook receiver that checks the signature as a gateway's adapter would. */
async function receiver(
  handle: (req: IncomingMessage, body: string) => number | 'hang',
): Promise<{ url: string; server: Server; hits: { body: string; valid: boolean }[] }> {
  const hits: { body: string; valid: boolean }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const valid = checkWebhookSignature(SECRET, req.headers, body);
      hits.push({ body, valid });
      const status = handle(req, body);
      if (status === 'hang') return; // never answers
      res.writeHead(valid ? status : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`, server, hits };
}
const SECRET = 's'.repeat(40);
const noSleep = async () => {};

test('SMS webhook: a signed JSON {to, text, purpose}; the receiver checks the signature', async () => {
  const r = await receiver(() => 200);
  await smsWebhookTransport({ url: r.url, secret: SECRET, sleep: noSleep }).send(SMS);
  r.server.close();
  assert.equal(r.hits.length, 1);
  assert.equal(r.hits[0]!.valid, true);
  assert.deepEqual(JSON.parse(r.hits[0]!.body), {
    to: '+15550100',
    text: 'Your code: 123456',
    purpose: 'sign_in_code',
  });
  // A signature made with another secret is refused by the same receiver (the check can fail).
  const forged = await receiver(() => 200);
  await assert.rejects(
    smsWebhookTransport({ url: forged.url, secret: 'x'.repeat(40), sleep: noSleep }).send(SMS),
  );
  forged.server.close();
  assert.equal(forged.hits[0]!.valid, false);
});

test('SMS webhook: the receiver check refuses forged, cut, missing and stale signatures without throwing', () => {
  const body = '{"to":"+15550100","text":"x","purpose":"notice"}';
  const now = 2_000_000_000;
  const ts = String(now);
  const good = signWebhook(SECRET, ts, body);
  const headers = (signature: string | undefined, timestamp = ts) => ({
    'x-twofa-timestamp': timestamp,
    ...(signature === undefined ? {} : { 'x-twofa-signature': signature }),
  });
  assert.equal(checkWebhookSignature(SECRET, headers(good), body, now), true);
  assert.equal(
    checkWebhookSignature(SECRET, headers(signWebhook('x'.repeat(40), ts, body)), body, now),
    false,
  );
  assert.equal(checkWebhookSignature(SECRET, headers(good.slice(0, 20)), body, now), false);
  assert.equal(checkWebhookSignature(SECRET, headers(undefined), body, now), false);
  assert.equal(checkWebhookSignature(SECRET, headers(good), `${body} `, now), false);
  const old = String(now - 301);
  assert.equal(checkWebhookSignature(SECRET, headers(signWebhook(SECRET, old, body), old), body, now), false);
});

test('SMS webhook: a failing gateway is retried with back-off, then succeeds', async () => {
  let calls = 0;
  const r = await receiver(() => (++calls < 3 ? 503 : 200));
  const waits: number[] = [];
  await smsWebhookTransport({
    url: r.url,
    secret: SECRET,
    sleep: async (ms) => {
      waits.push(ms);
    },
  }).send(SMS);
  r.server.close();
  assert.equal(calls, 3);
  assert.deepEqual(waits, [500, 1000], 'the wait doubles');
});

test('SMS webhook: a refusal (4xx) is not retried', async () => {
  const r = await receiver(() => 400);
  await assert.rejects(
    smsWebhookTransport({ url: r.url, secret: SECRET, sleep: noSleep }).send(SMS),
    /status 400/,
  );
  r.server.close();
  assert.equal(r.hits.length, 1);
});

test('SMS webhook: down (nothing listening): fails after every attempt', async () => {
  const r = await receiver(() => 200);
  const url = r.url;
  await new Promise<void>((resolve) => r.server.close(() => resolve()));
  await assert.rejects(smsWebhookTransport({ url, secret: SECRET, sleep: noSleep }).send(SMS), /unreachable/);
});

test('SMS webhook: slow (never answers): each attempt times out, then the send fails', async () => {
  const r = await receiver(() => 'hang');
  await assert.rejects(
    smsWebhookTransport({ url: r.url, secret: SECRET, sleep: noSleep, attemptTimeoutMs: 100 }).send(SMS),
    /timed out/,
  );
  assert.equal(r.hits.length, SMS_ATTEMPTS);
  r.server.closeAllConnections();
  r.server.close();
});
