/** The messages the service wrote to its outbox (no SMTP configured), parsed as a mail program would. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { Config } from '../../src/config.ts';

export interface OutboxMail {
  readonly file: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Every email in the outbox, oldest first (file names start with the time). */
export async function readOutbox(config: Config): Promise<OutboxMail[]> {
  const dir = join(config.dataDir, 'outbox');
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  const out: OutboxMail[] = [];
  for (const file of files) {
    const parsed = await simpleParser(await readFile(join(dir, file)));
    const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
    out.push({
      file,
      to: to ?? '',
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
    });
  }
  return out;
}

/** The emails sent to `to`, oldest first. */
export async function mailsTo(config: Config, to: string): Promise<OutboxMail[]> {
  return (await readOutbox(config)).filter((m) => m.to === to);
}

/** The newest email to `to` whose subject matches. */
export async function lastMail(config: Config, to: string, subject: RegExp): Promise<OutboxMail> {
  const mail = (await mailsTo(config, to)).filter((m) => subject.test(m.subject)).at(-1);
  if (mail === undefined) throw new Error(`no email to ${to} with a subject matching ${subject}`);
  return mail;
}

/** The 6-digit code in a message. */
export function codeIn(mail: OutboxMail): string {
  const code = /Your code: (\d{6})/.exec(mail.text)?.[1];
  if (code === undefined) throw new Error(`no code in "${mail.subject}"`);
  return code;
}

/** The path (and token) of the link in a message, e.g. /password/reset/<token>. */
export function linkIn(mail: OutboxMail, publicUrl: string): string {
  const href = new RegExp(`${publicUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/\\S+)`).exec(mail.text)?.[1];
  if (href === undefined) throw new Error(`no link in "${mail.subject}"`);
  return href;
}
