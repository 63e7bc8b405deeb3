/** A local SMS gateway for the tests: takes the webhook's POSTs, checks the signature, keeps the messages. */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhook } from '../../src/services/messages/transports.ts';

/** Signatures older (or newer) than this are refused as replays. */
const MAX_SKEW_SECONDS = 300;

/**
 * The receiver's check, as the README shows it to gateway adapters: the HMAC recomputed over the raw body,
 * compared in constant time (lengths first: timingSafeEqual throws on unequal lengths), and a fresh timestamp.
 */
export function checkWebhookSignature(
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: string,
  nowSeconds = Date.now() / 1000,
): boolean {
  const ts = String(headers['x-twofa-timestamp'] ?? '');
  const given = Buffer.from(String(headers['x-twofa-signature'] ?? ''));
  const expected = Buffer.from(signWebhook(secret, ts, rawBody));
  return (
    given.length === expected.length &&
    timingSafeEqual(given, expected) &&
    Math.abs(nowSeconds - Number(ts)) <= MAX_SKEW_SECONDS
  );
}

export const SMS_SECRET = 'a webhook secret of forty characters ok';

export interface TestGateway {
  /** TWOFA_SMS_WEBHOOK_URL and TWOFA_SMS_WEBHOOK_SECRET for this gateway. */
  readonly env: Record<string, string>;
  readonly texts: { to: string; text: string; purpose: string; signed: boolean }[];
  /** The newest text to `to`, waiting a little for one still on its way. */
  last(to: string, pattern?: RegExp): Promise<string>;
  close(): Promise<void>;
}

export async function startGateway(): Promise<TestGateway> {
  const texts: TestGateway['texts'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const signed = checkWebhookSignature(SMS_SECRET, req.headers, body);
      texts.push({ ...(JSON.parse(body) as { to: string; text: string; purpose: string }), signed });
      res.writeHead(signed ? 200 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  return {
    env: { TWOFA_SMS_WEBHOOK_URL: url, TWOFA_SMS_WEBHOOK_SECRET: SMS_SECRET },
    texts,
    async last(to, pattern = /./) {
      for (let tries = 0; tries < 50; tries++) {
        const text = texts.filter((t) => t.to === to && pattern.test(t.text)).at(-1);
        if (text) return text.text;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no text to ${to} matching ${pattern}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The 6 digits in a text message. */
export function digitsIn(text: string): string {
  const code = /\b(\d{6})\b/.exec(text)?.[1];
  if (code === undefined) throw new Error(`no code in "${text}"`);
  return code;
}
