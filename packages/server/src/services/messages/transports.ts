/**
 * How a message leaves the service. One mechanism (a message for one person over one channel), three
 * transports:
 * - email over SMTP with nodemailer (`TWOFA_SMTP_URL`: smtp:// upgrades with STARTTLS when the server offers
 *   it, smtps:// speaks TLS from the start), with bounded time-outs;
 * - with no SMTP configured, the outbox: each message written as a file in `<data dir>/outbox` (`.eml` for
 *   email, built by nodemailer too; `.txt` for a text message), so `npm start` works with nothing else;
 * - text messages through a signed HTTP webhook (`TWOFA_SMS_WEBHOOK_URL`): a JSON POST `{to, text, purpose}`
 *   with `X-Twofa-Timestamp` and `X-Twofa-Signature: sha256=<hex HMAC-SHA-256 of "<timestamp>.<body>">`,
 *   a time-out per attempt and retries with back-off.
 * Log lines say which channel, which purpose and where a file went: never the address or the text.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mail } from 'nodemailer';

export type Channel = 'email' | 'sms';

/** Why a message is sent: names the file in the outbox and travels to the SMS webhook. */
export type MessagePurpose =
  | 'verify_email'
  | 'signup_attempt'
  | 'password_reset'
  | 'sign_in_code'
  | 'verify_phone'
  | 'account_recovery'
  | 'notice';

export interface OutgoingMessage {
  readonly channel: Channel;
  /** An email address or a phone number. */
  readonly to: string;
  readonly purpose: MessagePurpose;
  /** Email only. */
  readonly subject: string;
  readonly text: string;
  /** Email only: a simple HTML version of `text`. */
  readonly html?: string;
}

export interface Transport {
  /** Sends or throws; bounded in time (each transport's time-outs). */
  send(message: OutgoingMessage): Promise<void>;
  close?(): void;
}

type TransportOptions = Parameters<typeof import('nodemailer').default.createTransport>[0];

/**
 * A nodemailer transporter made at the first message, nodemailer itself loaded then rather than at start:
 * it is most of a megabyte of code (about 5 MB of the idle process), and a service that sends nothing for
 * hours need not keep it resident (idle memory, issue #12). The same transporter serves every later message.
 */
function lazyTransporter(options: TransportOptions): {
  open(): Promise<Mail>;
  close(): void;
} {
  let transporter: Promise<Mail> | undefined;
  return {
    open: () => {
      transporter ??= import('nodemailer')
        .then(({ default: nodemailer }) => nodemailer.createTransport(options))
        .catch((error: unknown) => {
          // A failure is not kept: the next message tries again rather than failing until a restart.
          transporter = undefined;
          throw error;
        });
      return transporter;
    },
    close: () => {
      // Nothing to close if no message was sent, or if loading failed (that message already said so).
      transporter?.then(
        (opened) => opened.close(),
        () => {},
      );
    },
  };
}

/** SMTP waits: connecting, the greeting, and any silence on the socket (nodemailer's defaults are minutes). */
export const SMTP_TIMEOUTS_MS = { connection: 10_000, greeting: 10_000, socket: 20_000 } as const;

export function smtpTransport(options: { url: string; from: string }): Transport {
  const transporter = lazyTransporter({
    url: options.url,
    connectionTimeout: SMTP_TIMEOUTS_MS.connection,
    greetingTimeout: SMTP_TIMEOUTS_MS.greeting,
    socketTimeout: SMTP_TIMEOUTS_MS.socket,
  });
  return {
    async send(message) {
      await (await transporter.open()).sendMail(mailOf(options.from, message));
    },
    close: () => transporter.close(),
  };
}

/** Writes each message as a file in `dir` (created 0700; files 0600: a reset link is a key to the account). */
export function outboxTransport(options: {
  dir: string;
  from: string;
  log: (name: string, fields: Record<string, string>) => void;
}): Transport {
  const composer = lazyTransporter({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(message) {
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const name = `${stamp}-${message.purpose}-${randomBytes(4).toString('hex')}`;
      let path: string;
      if (message.channel === 'email') {
        const info = (await (await composer.open()).sendMail(mailOf(options.from, message))) as {
          message: Buffer;
        };
        path = join(options.dir, `${name}.eml`);
        await writeFile(path, info.message, { mode: 0o600 });
      } else {
        path = join(options.dir, `${name}.sms.txt`);
        await writeFile(path, `To: ${message.to}\n\n${message.text}\n`, { mode: 0o600 });
      }
      options.log('message.outbox', { channel: message.channel, purpose: message.purpose, path });
    },
  };
}

/** Each webhook attempt gives up after this long... */
export const SMS_ATTEMPT_TIMEOUT_MS = 5_000;
/** ...and is tried this many times in all, waiting 0.5 s then 1 s between (at most ~16.5 s in all). */
export const SMS_ATTEMPTS = 3;
const SMS_BACKOFF_MS = 500;

/** The signature the receiver checks: hex HMAC-SHA-256 over `<timestamp>.<body>` (Stripe's scheme). */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

export class WebhookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookError';
  }
}

export function smsWebhookTransport(options: {
  url: string;
  secret: string;
  /** Injectable for tests. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** @default SMS_ATTEMPT_TIMEOUT_MS */
  attemptTimeoutMs?: number;
}): Transport {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const timeoutMs = options.attemptTimeoutMs ?? SMS_ATTEMPT_TIMEOUT_MS;
  return {
    async send(message) {
      const body = JSON.stringify({ to: message.to, text: message.text, purpose: message.purpose });
      let last = 'not sent';
      for (let attempt = 1; attempt <= SMS_ATTEMPTS; attempt++) {
        if (attempt > 1) await sleep(SMS_BACKOFF_MS * 2 ** (attempt - 2));
        // A new timestamp (and signature) per attempt: a receiver may refuse old ones as replays.
        const timestamp = String(Math.floor(Date.now() / 1000));
        try {
          const response = await fetch(options.url, {
            method: 'POST',
            headers: {
              'Content-Type': 'application/json',
              'X-Twofa-Timestamp': timestamp,
              'X-Twofa-Signature': signWebhook(options.secret, timestamp, body),
            },
            body,
            signal: AbortSignal.timeout(timeoutMs),
            redirect: 'error',
          });
          await response.body?.cancel();
          if (response.ok) return;
          last = `status ${response.status}`;
          // A refusal (other than "too many") will not change on retry.
          if (response.status < 500 && response.status !== 429) break;
        } catch (error) {
          last = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'unreachable';
        }
      }
      throw new WebhookError(`SMS webhook: ${last}`);
    },
  };
}

function mailOf(from: string, message: OutgoingMessage): Mail.Options {
  return {
    from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    ...(message.html === undefined ? {} : { html: message.html }),
  };
}
