/** What every service shares: the database, the keyring, the configuration, a clock and the event log. */
import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { Keyring } from '../crypto/secret-box.ts';
import type { DatabaseKind } from '../store/open.ts';
import type { Database } from '../store/schema.ts';

export interface ServiceContext {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseKind;
  readonly keyring: Keyring;
  readonly config: Config;
  readonly nowMs: () => number;
  /** One event: written as one JSON line. Never pass a password, code, secret, token or session id. */
  readonly event: (name: string, fields?: Record<string, string | number | boolean>) => void;
  /** A hash of a random password with the current parameters: verified for unknown emails. */
  readonly dummyHash: () => Promise<string>;
  /** The login throttle's key for a normalised email: a keyed hash, never the email itself. */
  readonly emailKey: (normalizedEmail: string) => string;
}

/** Pending (second-step) sessions live 5 minutes... */
export const PENDING_SESSION_MS = 5 * 60 * 1000;
/** ...and allow 5 code attempts (a guess succeeds with odds 5 * 3 / 10^6 with a +-1 window). */
export const MAX_CODE_ATTEMPTS = 5;
/**
 * A set-up (or replacement) not confirmed within 15 minutes of starting is treated as absent and deleted when
 * next seen: its secret stops being shown on /security to whoever holds the session, and a forgotten one does
 * not wait for ever to be confirmed. Long enough to find and install an app.
 */
export const PENDING_ENROLLMENT_MS = 15 * 60 * 1000;
/** The idle clock is written at most once a minute, saving a write per request. */
export const TOUCH_INTERVAL_MS = 60 * 1000;

/**
 * Wrong codes per user, across sessions (login code step, turning 2FA off, replacing the authenticator).
 * NIST SP 800-63B s5.2.2 asks for at most 100 consecutive failed attempts per account, and OWASP's
 * Authentication Cheat Sheet for a lockout after a few; 10 in a row start a lock, during which every code,
 * the right one too, is refused before it is compared.
 */
export const MAX_CODE_FAILURES = 10;
/** The first lock lasts 15 minutes (OWASP Authentication Cheat Sheet: a lockout period, not a permanent lock)... */
export const FIRST_CODE_LOCK_MS = 15 * 60 * 1000;
/**
 * ...and each further lock without an accepted code between doubles it (NIST SP 800-63B s5.2.2: waits that
 * grow as failures pile up), up to a week: 100 failures take 5 days, then 10 a week (a 6-digit code with a
 * +-1 window falls with odds of about 1 in 640 a year). Not a permanent lock: there is no recovery yet.
 */
export const MAX_CODE_LOCK_MS = 7 * 24 * 60 * 60 * 1000;
/** Wrong passwords per email, known or not: 10 in a window of 15 minutes (OWASP Authentication Cheat Sheet). */
export const MAX_PASSWORD_FAILURES = 10;
export const PASSWORD_WINDOW_MS = 15 * 60 * 1000;
