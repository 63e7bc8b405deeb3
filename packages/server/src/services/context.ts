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
}

/** Pending (second-step) sessions live 5 minutes... */
export const PENDING_SESSION_MS = 5 * 60 * 1000;
/** ...and allow 5 code attempts (a guess succeeds with odds 5 * 3 / 10^6 with a +-1 window). */
export const MAX_CODE_ATTEMPTS = 5;
/** The idle clock is written at most once a minute, saving a write per request. */
export const TOUCH_INTERVAL_MS = 60 * 1000;
