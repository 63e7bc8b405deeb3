/**
 * The database as Kysely sees it. Times are integers in milliseconds since the epoch (`*_ms`): INTEGER on
 * SQLite, BIGINT on PostgreSQL, read back as JavaScript numbers on both (see postgres-dialect.ts).
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface UsersTable {
  id: string;
  /** Normalised: trimmed, lower-case. Unique. */
  email: string;
  /** PHC string (argon2id). */
  password_hash: string;
  created_at_ms: number;
  updated_at_ms: number;
  /** When the owner proved the address is theirs (a code or link by email); null until then. */
  email_verified_at_ms: number | null;
  /** When the owner turned on codes by email as a second factor; null: off. */
  email_factor_at_ms: number | null;
  /** The phone number, sealed (crypto/secret-box.ts, associated data `twofa:phone:<user id>`); null: none. */
  phone_key_id: string | null;
  phone_ciphertext: string | null;
  /** When a code sent to the number came back; null: not (yet). */
  phone_verified_at_ms: number | null;
  /** When the owner turned on codes by text message; null: off. */
  sms_factor_at_ms: number | null;
}

export type SessionState = 'pending' | 'full';

export interface SessionsTable {
  /** Random internal id, never sent to the client. */
  id: string;
  /** SHA-256 of the cookie token, base64url. Unique. */
  token_hash: string;
  user_id: string;
  state: SessionState;
  /** Second-factor attempts used (pending sessions). */
  attempts: Generated<number>;
  created_at_ms: number;
  /** Last recorded activity, for the idle timeout (written at most once a minute). */
  last_seen_at_ms: number;
  /** Absolute expiry. */
  expires_at_ms: number;
  /** Pending sessions: the kinds of second factor this sign-in may use, comma-separated. Null otherwise. */
  factors: string | null;
}

export type TotpCredentialState = 'pending' | 'active';

export interface TotpCredentialsTable {
  id: string;
  user_id: string;
  /** At most one of each per user (unique index on user_id, state). */
  state: TotpCredentialState;
  /** Id of the master key that sealed the secret. */
  secret_key_id: string;
  /** base64url(IV || AES-256-GCM ciphertext || tag), associated data `twofa:totp:<user>:<credential>`. */
  secret_ciphertext: string;
  /** RFC 6238 s5.2: the last accepted time step; a code at or before it is refused. */
  last_used_step: number | null;
  created_at_ms: number;
  confirmed_at_ms: number | null;
  /** The step offsets (accepted step minus the step at that moment) of the latest accepted codes, oldest
   *  first, comma-separated (at most TOTP_SKEW_AGREEING); null before the first (migration 0016). */
  recent_offsets: string | null;
  /** The learned clock skew, in steps: the window is centred this far from now (migration 0016). */
  skew_steps: Generated<number>;
}

/** A hardware token (OATH-HOTP, RFC 4226): at most one per user (unique user_id). */
export interface HotpCredentialsTable {
  id: string;
  user_id: string;
  /** Id of the master key that sealed the secret. */
  secret_key_id: string;
  /** base64url(IV || AES-256-GCM ciphertext || tag), associated data `twofa:hotp:<user>:<credential>`. */
  secret_ciphertext: string;
  /** 'SHA1' (nearly every token), 'SHA256' or 'SHA512'. Codes are 6 digits. */
  algorithm: string;
  /** RFC 4226 s7.2: the counter the next code is expected at (one after the last accepted code's). */
  next_counter: number;
  created_at_ms: number;
  last_used_at_ms: number | null;
}

/**
 * Wrong codes of one user since their last accepted code (login code step, turning 2FA off, replacing the
 * authenticator). No row: no failures.
 */
export interface SecondFactorThrottleTable {
  user_id: string;
  /** Failures counted towards the next lock (reset to 0 when a lock starts). */
  failures: number;
  /** Code checks are refused until then; 0 when never locked. */
  locked_until_ms: number;
  /** How long the next lock lasts (it doubles with each lock, up to a cap). */
  next_lock_ms: number;
  /** Code checks reserved and not yet decided (migration 0012). */
  in_flight: Generated<number>;
  /** In-flight reservations are taken as leaked (a stopped process) after this. */
  lease_until_ms: Generated<number>;
  /** The long-horizon budget as a token bucket: when it would be full again (0 or past: full). */
  budget_full_at_ms: Generated<number>;
}

/**
 * Failed passwords for one email (known or not) in a fixed window. Ended windows are purged by a timer
 * (services/purge.ts).
 */
export interface LoginThrottleTable {
  /** HMAC-SHA256 of the normalised email under a key derived from the master key, base64url. */
  email_key: string;
  failures: number;
  /** When the first failure of the current window happened. */
  window_start_ms: number;
  /** Password checks reserved and not yet settled (migration 0014); 0 past `in_flight_until_ms`. */
  in_flight: Generated<number>;
  in_flight_until_ms: Generated<number>;
}

/**
 * The tamper-evident audit log: append-only, numbered from the head (1, 2, 3...), each row chained to the
 * previous one by `hash` (see crypto/audit-hash.ts). No foreign key on `user_id`: the log outlives accounts.
 */
export interface AuditEventsTable {
  seq: number;
  at_ms: number;
  user_id: string | null;
  /** What happened, e.g. `login.succeeded`. */
  type: string;
  /** The client's address (the socket's, unless a trusted proxy is configured). */
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  /** A JSON object in canonical form (sorted keys, no spaces). */
  details: string;
  /** The previous row's `hash` (64 zeros for the first row). */
  prev_hash: string;
  /** Hex SHA-256 over `prev_hash` and this row's canonical content. */
  hash: string;
}

/** The chain's head: one row (id 1) with the last number given out and the last row's hash. */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/** One recovery code: only its keyed hash. */
export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  /** The master key whose subkey made `code_hash`. */
  key_id: string;
  /** base64url HMAC-SHA256 of the user id and the normalised code (crypto/recovery-code-hash.ts). Unique. */
  code_hash: string;
  created_at_ms: number;
  /** Set once, when the code is used. */
  used_at_ms: number | null;
}

/** What a code or link sent by message is for (one live row per user and purpose). */
export type MessageCodePurpose =
  | 'verify_email'
  | 'password_reset'
  | 'signup_attempt'
  | 'sign_in_email'
  | 'sign_in_sms'
  | 'verify_phone'
  | 'recovery_confirm'
  | 'recovery_cancel';

/** One code or link sent by message: only hashes of it. */
export interface MessageCodesTable {
  id: string;
  user_id: string;
  purpose: MessageCodePurpose;
  /** The master key whose subkey made `code_hash`. */
  key_id: string;
  /** base64url HMAC-SHA256 of the user, purpose and 6 digits (crypto/message-code-hash.ts); null: link only. */
  code_hash: string | null;
  /** SHA-256 of the link's 256-bit token, base64url; null: code only. Unique. */
  token_hash: string | null;
  /** Wrong codes typed against this one. */
  attempts: Generated<number>;
  /** When the latest code was sent (resend at most once a minute). */
  sent_at_ms: number;
  /** Codes sent since `sends_window_start_ms` (at most 10 a day). */
  sends: number;
  sends_window_start_ms: number;
  expires_at_ms: number;
  /** Set once, when the code or link is used. */
  used_at_ms: number | null;
}

/** One row (id 1): the last audit event the notices have been sent for. */
export interface NoticeCursorTable {
  id: number;
  seq: number;
}

/** An account-recovery request: `requested` (awaiting the emailed confirmation), then `waiting`. */
export interface AccountRecoveriesTable {
  user_id: string;
  state: 'requested' | 'waiting';
  created_at_ms: number;
  /** When the wait ends (set when confirmed). */
  ready_at_ms: number | null;
}

/** A remembered browser (migration 0013): the cookie's token only as its SHA-256, never in clear. */
export interface TrustedDevicesTable {
  id: string;
  user_id: string;
  /** SHA-256 of the current cookie token, base64url. Unique. */
  token_hash: string;
  /** The token replaced at the last use, and when: a rotated-out token presented again. */
  previous_token_hash: string | null;
  rotated_at_ms: number | null;
  /** Browser and system, from the user agent (services/user-agent.ts). */
  name: string;
  created_at_ms: number;
  last_used_at_ms: number;
  last_ip: string | null;
  expires_at_ms: number;
  /** Wrong passwords typed on the device in the window that started at `window_start_ms`. */
  failures: Generated<number>;
  window_start_ms: Generated<number>;
}

/** An API key: its public prefix and a keyed hash of its secret part (crypto/api-key-hash.ts). */
export interface ApiKeysTable {
  id: string;
  /** The public part of the token, for lookup. Unique. */
  prefix: string;
  /** base64url HMAC-SHA256 of the secret part under a subkey of the master key `hash_key_id`. */
  secret_hash: string;
  hash_key_id: string;
  name: string;
  /** Whose subjects the key reaches: one calling app's namespace of user ids. */
  tenant: string;
  /** Comma-separated: enroll, verify, manage. */
  scopes: string;
  requests_per_minute: number;
  created_at_ms: number;
  /** Written at most once a minute. */
  last_used_at_ms: number | null;
  revoked_at_ms: number | null;
}

/** A calling app's user (opaque `external_id` within `tenant`), mapped to the `users` row factors key on. */
export interface ApiSubjectsTable {
  user_id: string;
  tenant: string;
  external_id: string;
  created_at_ms: number;
}

/** A TOTP set-up started through the API (its id is the pending credential's). */
export interface ApiEnrollmentsTable {
  id: string;
  user_id: string;
  api_key_id: string;
  /** The label and issuer the authenticator app shows. */
  account_name: string;
  issuer: string;
  /** The client's Idempotency-Key (unique per API key), and a hash of the request it came with. */
  idempotency_key: string | null;
  request_hash: string | null;
  created_at_ms: number;
}

/** The master key every instance seals under, and a rotation's progress: one row (id 1) once rotated. */
export interface MasterKeyStateTable {
  id: number;
  /** New secrets are sealed (and recovery codes hashed) under this key id. */
  current_key_id: string;
  /** The key the last rotation moved away from, until it is retired. */
  previous_key_id: string | null;
  rotation_started_at_ms: number | null;
  /** Null while a rotation is under way (or was interrupted: `rotate-key` resumes it). */
  rotation_finished_at_ms: number | null;
  /** Secrets re-sealed by the last rotation so far. */
  resealed: Generated<number>;
}

/** A running instance's heartbeat: which master key ids it holds (never the keys). */
export interface KeyringInstancesTable {
  /** Random per process. */
  id: string;
  host: string;
  pid: number;
  /** Comma-separated key ids. */
  key_ids: string;
  /** The key id it seals under. */
  current_key_id: string;
  /** The key file it reads its keys from (re-read when it meets a key id it lacks); null: TWOFA_MASTER_KEY. */
  key_file: string | null;
  seen_at_ms: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  totp_credentials: TotpCredentialsTable;
  hotp_credentials: HotpCredentialsTable;
  second_factor_throttle: SecondFactorThrottleTable;
  login_throttle: LoginThrottleTable;
  recovery_codes: RecoveryCodesTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  message_codes: MessageCodesTable;
  notice_cursor: NoticeCursorTable;
  account_recoveries: AccountRecoveriesTable;
  trusted_devices: TrustedDevicesTable;
  api_keys: ApiKeysTable;
  api_subjects: ApiSubjectsTable;
  api_enrollments: ApiEnrollmentsTable;
  master_key_state: MasterKeyStateTable;
  keyring_instances: KeyringInstancesTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type NewSession = Insertable<SessionsTable>;
export type TotpCredentialRow = Selectable<TotpCredentialsTable>;
export type NewTotpCredential = Insertable<TotpCredentialsTable>;
export type HotpCredentialRow = Selectable<HotpCredentialsTable>;
export type NewHotpCredential = Insertable<HotpCredentialsTable>;
export type NewRecoveryCode = Insertable<RecoveryCodesTable>;
export type TotpCredentialUpdate = Updateable<TotpCredentialsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type NewAuditEvent = Insertable<AuditEventsTable>;
export type AuditHeadRow = Selectable<AuditHeadTable>;
export type MessageCodeRow = Selectable<MessageCodesTable>;
export type NewMessageCode = Insertable<MessageCodesTable>;
export type AccountRecoveryRow = Selectable<AccountRecoveriesTable>;
export type TrustedDeviceRow = Selectable<TrustedDevicesTable>;
export type NewTrustedDevice = Insertable<TrustedDevicesTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKey = Insertable<ApiKeysTable>;
export type ApiSubjectRow = Selectable<ApiSubjectsTable>;
export type ApiEnrollmentRow = Selectable<ApiEnrollmentsTable>;
export type NewApiEnrollment = Insertable<ApiEnrollmentsTable>;
export type MasterKeyStateRow = Selectable<MasterKeyStateTable>;
export type KeyringInstanceRow = Selectable<KeyringInstancesTable>;
