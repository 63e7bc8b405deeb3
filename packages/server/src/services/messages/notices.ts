/**
 * Notices: the owner is told when their account's security changes. A notice is a subscriber of the event
 * sink: NOTICES maps an event kind to its words, so a new event becomes a notice with one line here.
 *
 * Sent after the change commits, never before: the dispatcher reads the events the sink wrote to the audit
 * log (an event rolled back with its transaction is never there) past `notice_cursor`, moves the cursor with
 * a compare-and-set (of several instances on one database, one sends each event) and sends in the background.
 * The sink kicks it after each event; a poll every few seconds picks up what a kick saw too early (its
 * transaction had not committed yet) and events written by other processes (the command line).
 */
import type { Kysely } from 'kysely';
import { readAuditEvents } from '../../store/audit-repo.ts';
import { advanceNoticeCursor, readNoticeCursor } from '../../store/notice-cursor-repo.ts';
import type { AuditEventRow, Database, UserRow } from '../../store/schema.ts';
import { findUserById } from '../../store/users-repo.ts';
import type { DomainEvent, DomainEventType } from '../events.ts';
import type { Messenger } from './messenger.ts';
import { renderMessage } from './templates.ts';

/** What a notice says: a subject and what happened (the template adds when, the device and the way out). */
export interface NoticeText {
  readonly subject: string;
  readonly what: string;
  /** @default IF_NOT_YOU */
  readonly ifNotYou?: string;
}

/** The words for an event of kind T; undefined: this one is not told (another event of the change is). */
type NoticeOf<T extends DomainEventType> = (
  event: Extract<DomainEvent, { type: T }>,
) => NoticeText | undefined;

/** Which events the owner is told about, and in which words. One line per kind. */
export const NOTICES: { readonly [T in DomainEventType]?: NoticeOf<T> } = {
  'second_factor.enabled': (e) => ({
    subject: 'two-factor authentication is on',
    what: `${FACTOR_TURNED_ON[e.factor]} were turned on for your account: signing in now asks for ${FACTOR_CODE[e.factor]}.`,
  }),
  // Another factor may still be on (codes by email after the app is removed): the words name the one that went.
  'second_factor.disabled': (e) => ({
    subject: `${FACTOR_CODE_PLURAL[e.factor]} turned off`,
    what: `${FACTOR_TURNED_ON[e.factor]} were turned off for your account. Where no other second factor is on, your password alone now signs you in.`,
  }),
  'second_factor.replaced': () => ({
    subject: 'your authenticator app was replaced',
    what: 'A new authenticator app was set up for your account. Codes from the old one no longer work.',
  }),
  'recovery_code.used': (e) => ({
    subject: 'a recovery code was used',
    what: `A recovery code was used to ${RECOVERY_CODE_USE[e.purpose]} your account. ${e.remaining} unused ${e.remaining === 1 ? 'code is' : 'codes are'} left.`,
  }),
  'recovery_codes.generated': (e) => ({
    subject: 'new recovery codes',
    what: `A new set of ${e.count} recovery codes was made for your account. The old codes no longer work.`,
  }),
  'password.changed': () => ({
    subject: 'your password was changed',
    what: 'The password of your account was changed. Other devices signed in to it were signed out.',
  }),
  'password.reset': () => ({
    subject: 'your password was reset',
    what: 'The password of your account was reset with a link sent to this address. Every device signed in to it was signed out.',
  }),
  'phone.changed': () => ({
    subject: 'your phone number was changed',
    what: 'A new phone number was set for your account. Codes by text message are off until it is verified; the old number gets no more codes.',
  }),
  'account_recovery.cancelled': () => ({
    subject: 'account recovery cancelled',
    what: 'The account recovery request for your account was cancelled. Your second factors stay as they are.',
  }),
  'account_recovery.completed': () => ({
    subject: 'account recovery completed',
    what: 'Account recovery completed: the second factors of your account were removed and it was signed in with the password. Set up new ones on the Security page.',
  }),
  'second_factor.reset': (e) => ({
    subject: 'two-factor authentication was removed',
    what: `An administrator removed every second factor of your account (${e.factors || 'a set-up in progress'}) and its recovery codes${e.accountRecovery === 'cancelled' ? ', and cancelled its account recovery request' : ''}, and signed out every device. Your password alone now signs you in: turn two-factor authentication on again from the Security page.`,
    ifNotYou:
      'If you did not ask for this, someone may have talked their way past the administrator: reset your password now ("Forgot password" on the log-in page) and contact the administrator.',
  }),
  'account.unlocked': () => ({
    subject: 'sign-in limits lifted',
    what: 'An administrator lifted the limits on wrong passwords and codes for your account, so sign-in attempts are taken again at once.',
    ifNotYou:
      'If you did not ask for this, someone may be guessing your password or codes: change your password and contact the administrator.',
  }),
  // Only a copied cookie is news: the other reasons go with a change that has its own notice (or the owner's
  // own click on the security page).
  'device.revoked': (e) =>
    e.reason === 'token_reused'
      ? {
          subject: 'a trusted device was revoked',
          what: `An old copy of the sign-in cookie of your trusted device "${e.name ?? 'unknown device'}" was used, after the device itself had already moved on to a new one. Someone may have copied it from that device, so it is no longer trusted: signing in there asks for your second step again.`,
          ifNotYou:
            'If you did not sign in from an old copy of your browser yourself, change your password now and check the Security page for devices and activity you do not recognise.',
        }
      : undefined,
  'lock.started': (e) => ({
    subject: 'sign-in codes locked',
    what:
      e.limit === 'codes'
        ? `Too many wrong codes were entered for your account, so 6-digit codes (from an authenticator app, or sent by email or text message) are refused for ${e.minutes} minutes. Whoever entered them knew your password.`
        : e.limit === 'code_budget'
          ? `Too many wrong codes were entered for your account over the past weeks, so 6-digit codes (from an authenticator app, or sent by email or text message) are refused for about ${Math.ceil(e.minutes / 60)} hours, until the limit refills. Your recovery codes still work. Whoever entered them knew your password.`
          : `Too many wrong recovery codes were entered for your account; wrong ones are refused for ${e.minutes} minutes. Whoever entered them knew your password.`,
    ifNotYou: 'If this was not you, change your password as soon as you are signed in.',
  }),
};

/** What each factor's codes are called in a notice. */
const FACTOR_TURNED_ON = {
  totp: 'Codes from an authenticator app',
  hotp: 'Codes from a hardware token',
  email: 'Codes by email',
  sms: 'Codes by text message',
  recovery: 'Recovery codes',
} as const;
const FACTOR_CODE_PLURAL = {
  totp: 'codes from your authenticator app',
  hotp: 'codes from your hardware token',
  email: 'codes by email',
  sms: 'codes by text message',
  recovery: 'recovery codes',
} as const;
const FACTOR_CODE = {
  totp: 'a code from your authenticator app',
  hotp: 'a code from your hardware token',
  email: 'a code sent to this address',
  sms: 'a code sent to your phone by text message',
  recovery: 'a recovery code',
} as const;

const RECOVERY_CODE_USE = {
  sign_in: 'sign in to',
  reauthenticate: 'confirm a change to',
  password_reset: 'reset the password of',
} as const;

const IF_NOT_YOU =
  'If this was not you, someone else may have your password: reset it now ("Forgot password" on the log-in page), then check the Security page.';

/** Events in one read of the log. */
const BATCH = 100;
/** A notice about an event older than this is not sent (the service was stopped for a long time). */
export const NOTICE_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** How often the log is read without a kick; and how long after a kick (the transaction commits first). */
const POLL_MS = 3_000;
const KICK_DELAY_MS = 50;

export interface NoticeDispatcher {
  /**
   * Schedules a read of the log soon (called by the event sink after each event). An event that no notice is
   * about schedules nothing (the poll moves the cursor past it): a sign-in's own events, the busiest by far,
   * then cost the requests no background reads of the log (issue #12).
   */
  kick(event?: Pick<DomainEvent, 'type'>): void;
  /** Reads the log to its end now and waits for the notices to be sent (tests; shutdown). */
  flush(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function createNoticeDispatcher(options: {
  readonly db: Kysely<Database>;
  readonly nowMs: () => number;
  readonly messenger: Messenger;
  readonly service: { readonly name: string; readonly url: string };
  /** The user's verified phone number in clear (for those whose only channel it is). */
  readonly phoneOf: (user: UserRow) => string | null;
}): NoticeDispatcher {
  let running: Promise<number> | undefined;
  let kickTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** One batch: returns how many events it took (0: at the end, or another instance took them). */
  async function pass(): Promise<number> {
    const cursor = await readNoticeCursor(options.db);
    const rows = await readAuditEvents(options.db, { afterSeq: cursor, limit: BATCH });
    const last = rows.at(-1);
    if (last === undefined) return 0;
    if (!(await advanceNoticeCursor(options.db, { fromSeq: cursor, toSeq: Number(last.seq) }))) return 0;
    for (const row of noticeable(rows)) {
      // One row that cannot be told about (its details unreadable) must not silence the rest of the batch.
      await notify(row).catch(() => undefined);
    }
    return rows.length;
  }

  async function notify(row: AuditEventRow): Promise<void> {
    if (row.user_id === null || options.nowMs() - Number(row.at_ms) > NOTICE_MAX_AGE_MS) return;
    const text = noticeOf(row);
    if (text === undefined) return;
    const user = await findUserById(options.db, row.user_id);
    if (user === undefined) return;
    // An address nobody has proved is theirs may be someone else's: it is told nothing. Where a verified
    // phone is the only channel, a short text message instead.
    if (user.email_verified_at_ms === null) {
      const phone = user.phone_verified_at_ms === null ? null : options.phoneOf(user);
      if (phone === null) return;
      const sms = `${options.service.name}: ${text.subject}. Not you? Sign in and check the Security page.`;
      options.messenger.sendLater({ channel: 'sms', to: phone, purpose: 'notice', subject: '', text: sms });
      return;
    }
    const message = renderMessage({
      service: options.service,
      subject: text.subject,
      paragraphs: [text.what],
      when: Number(row.at_ms),
      device: { userAgent: row.user_agent, ip: row.ip },
      ifNotYou: text.ifNotYou ?? IF_NOT_YOU,
    });
    options.messenger.sendLater({ channel: 'email', to: user.email, purpose: 'notice', ...message });
  }

  function runOnce(): Promise<number> {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    kick(event) {
      if (event !== undefined && NOTICES[event.type] === undefined) return;
      if (stopped || kickTimer !== undefined) return;
      kickTimer = setTimeout(() => {
        kickTimer = undefined;
        runOnce().catch(() => undefined);
      }, KICK_DELAY_MS);
      kickTimer.unref();
    },
    async flush() {
      if (running !== undefined) await running.catch(() => 0);
      while ((await runOnce()) > 0) {}
      await options.messenger.idle();
    },
    start() {
      pollTimer = setInterval(() => {
        if (!stopped) runOnce().catch(() => undefined);
      }, POLL_MS);
      pollTimer.unref();
    },
    async stop() {
      stopped = true;
      clearTimeout(kickTimer);
      clearInterval(pollTimer);
      if (running !== undefined) await running.catch(() => 0);
    },
  };
}

/** The words for one audit row, if its kind has a notice. */
function noticeOf(row: AuditEventRow): NoticeText | undefined {
  const make = NOTICES[row.type as DomainEventType] as
    | ((event: DomainEvent) => NoticeText | undefined)
    | undefined;
  if (make === undefined) return undefined;
  const event = { type: row.type, userId: row.user_id, ...JSON.parse(row.details) } as DomainEvent;
  return make(event);
}

/**
 * The rows worth a notice. Turning 2FA on also makes the first recovery codes: one change, one notice (the
 * set made in the same request as `second_factor.enabled` is not told apart).
 */
function noticeable(rows: readonly AuditEventRow[]): AuditEventRow[] {
  const change = (r: AuditEventRow) => `${r.user_id}|${r.request_id ?? `at ${r.at_ms}`}`;
  const enabledIn = new Set(rows.filter((r) => r.type === 'second_factor.enabled').map(change));
  return rows.filter((r) => !(r.type === 'recovery_codes.generated' && enabledIn.has(change(r))));
}
