/**
 * What every service shares: the database, the keyring, the settings services read (not the whole
 * configuration), a clock, the password hasher, the operational log and the domain-event sink.
 */
import type { Kysely } from 'kysely';
import type { Keyring } from '../crypto/secret-box.ts';
import type { DatabaseKind } from '../store/open.ts';
import type { Database } from '../store/schema.ts';
import type { EventSink } from './events.ts';
import type { Messenger } from './messages/messenger.ts';
import type { PasswordPool } from './password-pool.ts';

/** The part of the configuration the services read. */
export interface ServiceSettings {
  /** The issuer authenticator apps show beside the account. */
  readonly issuer: string;
  /** TOTP steps accepted either side of now. */
  readonly totpWindow: number;
  /** A signed-in session ends after this long without a request... */
  readonly sessionIdleMs: number;
  /** ...or this long after sign-in, active or not. */
  readonly sessionAbsoluteMs: number;
  /** The service's name in messages (TWOFA_ISSUER) and the base of links in them (TWOFA_PUBLIC_URL). */
  readonly serviceName: string;
  readonly publicUrl: string;
  /** How long a confirmed account recovery waits before it can complete. */
  readonly recoveryDelayMs: number;
  /** Form posts per client address a minute on the guessing and sending routes; 0: no budget. */
  readonly clientRequestsPerMinute: number;
}

export interface ServiceContext {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseKind;
  readonly keyring: Keyring;
  readonly settings: ServiceSettings;
  readonly nowMs: () => number;
  /** The password hasher behind the bounded pool (services/password-pool.ts). */
  readonly passwords: PasswordPool;
  /** Operational lines (not domain events): one JSON line each. Never a password, code, secret or token. */
  readonly log: (name: string, fields?: Record<string, string | number | boolean>) => void;
  /** Domain events: an audit row in the caller's transaction and a log line (services/events.ts). */
  readonly events: EventSink;
  /** A hash of a random password with the current parameters: verified for unknown emails. */
  readonly dummyHash: () => Promise<string>;
  /** The login throttle's key for a normalised email: a keyed hash, never the email itself. */
  readonly emailKey: (normalizedEmail: string) => string;
  /** Sends email and text messages (services/messages/). */
  readonly messages: Messenger;
  /** Re-reads the current key from the database, and the key file when `keyId` is a key the keyring lacks. */
  readonly refreshKeyring: (keyId?: string) => Promise<void>;
}
