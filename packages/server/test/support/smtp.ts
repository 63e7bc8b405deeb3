/** A real SMTP server in-process (smtp-server, from nodemailer's authors), keeping what arrives, parsed. */
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestSmtp {
  /** For TWOFA_SMTP_URL (STARTTLS with smtp-server's self-signed certificate, accepted for the test). */
  readonly url: string;
  readonly mails: { to: string[]; secure: boolean; parsed: ParsedMail }[];
  /** The newest mail to `to`, waiting a little for one that is still being delivered. */
  last(to: string, subject: RegExp): Promise<ParsedMail>;
  close(): Promise<void>;
}

export async function startSmtp(): Promise<TestSmtp> {
  const mails: TestSmtp['mails'] = [];
  const server = new SMTPServer({
    authOptional: true,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), secure: session.secure, parsed });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}/?tls.rejectUnauthorized=false`,
    mails,
    async last(to, subject) {
      for (let tries = 0; tries < 50; tries++) {
        const mail = mails.filter((m) => m.to.includes(to) && subject.test(m.parsed.subject ?? '')).at(-1);
        if (mail) return mail.parsed;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no mail to ${to} matching ${subject}`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The 6-digit code in a parsed mail. */
export function codeOf(mail: ParsedMail): string {
  const code = /Your code: (\d{6})/.exec(mail.text ?? '')?.[1];
  if (code === undefined) throw new Error(`no code in "${mail.subject}"`);
  return code;
}
