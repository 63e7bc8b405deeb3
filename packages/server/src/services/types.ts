/**
 * The contract between the HTTP layer (routes) and the rules (services). Routes call only these; services
 * know nothing of HTTP, cookies or HTML; the store knows nothing of the rules.
 *
 * Tokens: a session token is the raw random value that goes in the cookie (256 bits, base64url). The store
 * keeps only its SHA-256 hash. Every method that takes a token accepts any string and treats an unknown,
 * expired or malformed token as "no session".
 */

/**
 * Codes of the one error type the services throw. Services carry a code and details, never a sentence: the
 * HTTP edge's one table of outcomes (src/outcomes.ts) gives each its status and its words, for the pages and
 * any other front end alike.
 */
export type ServiceErrorCode =
  | 'INVALID_INPUT' // a field is missing or malformed (details.field names it)
  | 'INVALID_EMAIL'
  | 'WEAK_PASSWORD' // shorter than 8 or longer than 128 characters
  | 'SAME_PASSWORD' // a new password equal to the current one
  | 'EMAIL_TAKEN'
  | 'SAME_EMAIL'
  | 'INVALID_CREDENTIALS' // unknown email or wrong password: the same code, details and timing for both
  | 'WRONG_PASSWORD' // re-authentication of a signed-in user failed (change password, 2FA on, off, replace)
  | 'MALFORMED_CODE' // what was typed cannot be a code of that kind (not counted as a guess)
  | 'INVALID_CODE' // a one-time code was wrong or already used
  | 'CODE_ALREADY_USED' // the app's code was right but already used (a replay): not counted as a guess
  | 'SECOND_FACTOR_BUDGET_SPENT' // the user's long-horizon budget of wrong 6-digit codes is spent (retryAfterMs)
  | 'INVALID_SETUP_CODE' // the first code of a set-up was wrong (it cannot have been used before)
  | 'INVALID_RECOVERY_CODE' // a recovery code was wrong or already used
  | 'TOO_MANY_ATTEMPTS' // the pending login used up its code attempts; the pending session is gone
  | 'SECOND_FACTOR_LOCKED' // too many wrong 6-digit codes for this user, across sessions (retryAfterMs)
  | 'RECOVERY_RATE_LIMITED' // too many wrong recovery codes for this user in a window (retryAfterMs)
  | 'RATE_LIMITED' // too many wrong passwords for this email, known or not: passwords refused (retryAfterMs)
  | 'SESSION_EXPIRED' // no such session, or it timed out
  | 'NOT_PENDING' // a second-factor step on a session that is not waiting for one
  | 'FACTOR_NOT_AVAILABLE' // this sign-in cannot use that kind of second factor
  | 'TOTP_ALREADY_ENABLED'
  | 'TOTP_NOT_ENABLED'
  | 'NO_PENDING_ENROLLMENT'
  | 'INVALID_MESSAGE_CODE' // a code sent by message was wrong, expired, replaced, used or out of attempts
  | 'INVALID_LINK' // a link sent by message was used, expired or replaced (or never existed)
  | 'RESEND_TOO_SOON' // a code was sent less than a minute ago (retryAfterMs)
  | 'SEND_LIMIT_REACHED' // 10 codes were sent in the last day (retryAfterMs)
  | 'EMAIL_ALREADY_VERIFIED'
  | 'EMAIL_NOT_VERIFIED' // codes by email need a confirmed address
  | 'MESSAGE_NOT_SENT' // the mail server or SMS gateway did not take the message (try again later)
  | 'FACTOR_ALREADY_ON'
  | 'FACTOR_NOT_ON'
  | 'INVALID_PHONE'
  | 'NO_PHONE_TO_VERIFY'
  | 'INVALID_TOKEN_KEY' // a hardware token's key is neither base32 nor an otpauth://hotp URI for 6 digits
  | 'WEAK_TOKEN_KEY' // a hardware token's key anyone could compute codes from (a pattern, an RFC test key)
  | 'INVALID_TOKEN_CODES' // two codes that are not consecutive codes of that key within the search range
  // The JSON API (src/api/):
  | 'MALFORMED_JSON' // the body is not JSON
  | 'INVALID_REQUEST' // the JSON does not match the operation's schema (details.field names the first fault)
  | 'NOT_FOUND' // no API operation at that path and method
  | 'API_KEY_INVALID' // no key, an unknown, malformed or revoked key: the same code for each
  | 'API_KEY_SCOPE' // the key lacks the scope the operation needs (details.field names the scope)
  | 'API_RATE_LIMITED' // the key used its requests of the current minute (retryAfterMs)
  | 'SUBJECT_NOT_FOUND' // no subject with that id in the key's tenant
  | 'ENROLLMENT_NOT_FOUND' // no live set-up with that id for the subject
  | 'ENROLLMENT_CLOSED' // an Idempotency-Key whose set-up was confirmed or replaced
  | 'IDEMPOTENCY_KEY_REUSED' // the same Idempotency-Key with a different request
  | 'NO_SECOND_FACTOR' // the subject has no factor to verify a code against
  | 'FACTOR_NOT_ENROLLED' // the subject has no factor of that kind
  | 'DEVICE_NOT_FOUND' // revoking a trusted device the user does not have (already revoked, or another's)
  | 'USER_NOT_FOUND' // an operator named an account that does not exist (never said to the public)
  | 'UNKNOWN_KEY' // rotate-key: the master key list has no key with that id
  | 'KEY_IS_CURRENT' // rotate-key: that key is already the current one (nothing to rotate to, or to retire)
  | 'KEY_IN_USE' // rotate-key --retire: secrets, phone numbers, unused recovery codes or API keys need that key (inUse)
  | 'KEY_NOT_ON_EVERY_INSTANCE' // rotate-key: running instances lack the new key (instances)
  | 'ROTATION_UNFINISHED' // rotate-key: an interrupted rotation to another key must be finished first
  | 'CLIENT_RATE_LIMITED' // this client address has used its requests for the minute
  | 'BUSY' // too many password checks are queued: refused before any work
  | 'UNAVAILABLE'; // the database cannot be reached or refused the work for now: nothing was changed

export interface ServiceErrorDetails {
  /** The input at fault, by the name the service method takes it under (`password`, `code`, ...). */
  readonly field?: string;
  /** For INVALID_CODE during a pending login: attempts left before TOO_MANY_ATTEMPTS or a lock. */
  readonly attemptsLeft?: number;
  /** For SECOND_FACTOR_LOCKED and the rate limits: how long until another attempt is taken. */
  readonly retryAfterMs?: number;
  /** For MALFORMED_CODE: which kinds of code would have been accepted. */
  /** For KEY_NOT_ON_EVERY_INSTANCE: the running instances that lack the key (`host (pid N)`). */
  readonly instances?: readonly string[];
  /** For KEY_IN_USE: what still needs the key. */
  readonly inUse?: {
    readonly totpSecrets: number;
    readonly recoveryCodes: number;
    readonly phoneNumbers: number;
    /** Unrevoked API keys hashed under it. */
    readonly apiKeys: number;
  };
  readonly expected?: CodeShape;
}

/** What a code field takes, for the words of MALFORMED_CODE and the pages' labels. */
export type CodeShape =
  | 'totp'
  | 'recovery'
  | 'totp-or-recovery'
  | 'message'
  | 'message-or-recovery'
  // a hardware token's 6 digits (or, to resynchronise it, two consecutive ones)
  | 'token'
  | 'token-or-recovery';

export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  readonly field: string | undefined;
  /** For INVALID_CODE during a pending login: attempts left before TOO_MANY_ATTEMPTS or a lock. */
  readonly attemptsLeft: number | undefined;
  /** For SECOND_FACTOR_LOCKED and the rate limits: how long until another attempt is taken. */
  readonly retryAfterMs: number | undefined;
  readonly expected: ServiceErrorDetails['expected'];
  readonly instances: ServiceErrorDetails['instances'];
  readonly inUse: ServiceErrorDetails['inUse'];
  constructor(code: ServiceErrorCode, details: ServiceErrorDetails = {}) {
    // The code is the message: a service says what happened, the edge says it in words.
    super(details.field === undefined ? code : `${code} (${details.field})`);
    this.name = 'ServiceError';
    this.code = code;
    this.field = details.field;
    this.attemptsLeft = details.attemptsLeft;
    this.retryAfterMs = details.retryAfterMs;
    this.expected = details.expected;
    this.instances = details.instances;
    this.inUse = details.inUse;
  }
}

/** The kinds of second factor (services/factors/). */
export type FactorKind = 'totp' | 'hotp' | 'email' | 'sms' | 'recovery';

/** Who made a request, for the audit log: the client's address, its user agent and the request id. */
export interface RequestMeta {
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
}

export type SessionState = 'pending' | 'full';

/** A session as the HTTP layer sees it after resolving the cookie. */
export interface SessionView {
  /** Internal id (not the token); safe to log? No: routes must not log it either. */
  readonly id: string;
  readonly userId: string;
  readonly state: SessionState;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  /** Code attempts left (pending sessions only). */
  readonly attemptsLeft: number;
  /** The kinds of second factor this sign-in may use (pending sessions only; empty otherwise). */
  readonly factors: readonly FactorKind[];
}

/** A freshly issued session: the raw token goes in the cookie, nowhere else. */
export interface IssuedSession {
  readonly token: string;
  readonly session: SessionView;
}

export interface UserView {
  readonly id: string;
  readonly email: string;
  /** The second factors the user has, in the registry's order (empty: 2FA is off). */
  readonly factors: readonly FactorKind[];
  /** An authenticator app is set up (the one primary factor so far): 2FA is on. */
  readonly totpEnabled: boolean;
  /** Unused recovery codes. */
  readonly recoveryCodesLeft: number;
  /** The owner proved the address is theirs (a code or link by email). */
  readonly emailVerified: boolean;
  /** Codes by email are on (a second factor). */
  readonly emailFactorOn: boolean;
  /** The phone number (E.164) and whether a code sent to it came back; null: none. */
  readonly phone: string | null;
  readonly phoneVerified: boolean;
  /** Codes by text message are on. */
  readonly smsFactorOn: boolean;
  readonly createdAtMs: number;
}

/** One line of the user's security history (the audit log), newest first. */
export interface AuditEventView {
  readonly seq: number;
  readonly atMs: number;
  readonly type: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

/** What the set-up page shows while enrollment is pending. Returned only to the signed-in owner. */
export interface EnrollmentView {
  /** Raw secret bytes, for the grouped base32 display. */
  readonly secret: Uint8Array;
  /** The otpauth:// URI (issuer from config, account = the user's email). */
  readonly uri: string;
  /** When the set-up stops being confirmable (15 minutes after it started). */
  readonly expiresAtMs: number;
}

/**
 * What to do with the browser's trusted-device cookie: put a new token in it (for `maxAgeMs`), or remove it
 * (the token it held is worth nothing now). Absent: leave it as it is.
 */
export type DeviceCookie = { readonly token: string; readonly maxAgeMs: number } | { readonly forget: true };

export type LoginResult =
  /** No 2FA, or a trusted device stood in for the second step: a full session (`recovered`: an account
   *  recovery completed here, every factor removed). */
  (
    | { readonly kind: 'full'; readonly issued: IssuedSession; readonly recovered?: boolean }
    /** 2FA on: a pending session that can only take a code (5 minutes, 5 attempts). */
    | { readonly kind: 'pending'; readonly issued: IssuedSession }
  ) & { readonly device?: DeviceCookie };

/** The second step's result: the full session and, when the device was remembered, its cookie. */
export interface SecondStepResult extends IssuedSession {
  readonly device?: { readonly token: string; readonly maxAgeMs: number };
}

/** A trusted device as the security page lists it. */
export interface DeviceView {
  readonly id: string;
  /** Browser and system from the user agent when it was trusted. */
  readonly name: string;
  readonly createdAtMs: number;
  readonly lastUsedAtMs: number;
  readonly lastIp: string | null;
  readonly expiresAtMs: number;
}

export interface DeviceService {
  /** The user's live trusted devices, most recently used first. */
  list(userId: string): Promise<readonly DeviceView[]>;
  /** Revokes one of the user's devices. Throws DEVICE_NOT_FOUND (unknown, another user's, already gone). */
  revoke(input: { userId: string; deviceId: string }): Promise<void>;
  /** Ends every session of the user (the caller's too) and revokes every trusted device. */
  signOutEverywhere(userId: string): Promise<void>;
}

export interface AccountService {
  /**
   * Sign-up that does not tell who has an account: a new address gets an account (not signed in) and a
   * message to verify it; a taken one gets a message telling its owner that someone tried (at most once a
   * minute, 10 a day); both return the same, after the same password-hashing work. Throws INVALID_EMAIL and
   * WEAK_PASSWORD only (what was typed, not who exists).
   */
  register(input: { email: string; password: string }): Promise<void>;
  /**
   * Replaces the address: the password, and a current code when 2FA is on (a stolen session must not move
   * the account's mail, and with it the password reset, to its own mailbox). The new address gets a message
   * to confirm it (until then codes by email stop and it cannot reset the password); the old one, if
   * confirmed, is told. Throws INVALID_EMAIL, SAME_EMAIL, EMAIL_TAKEN, WRONG_PASSWORD, RATE_LIMITED and the
   * second factor's errors.
   */
  changeEmail(input: { userId: string; password: string; code: string; newEmail: string }): Promise<void>;
  /**
   * Creates the account and returns a full session for it, saying when an address is taken. No route or
   * command calls it (the sign-up page and the benchmark use `register`, which tells nobody who has an
   * account); test fixtures do, to make a signed-in account in one step. Throws INVALID_EMAIL,
   * WEAK_PASSWORD, EMAIL_TAKEN.
   */
  signUp(input: { email: string; password: string }): Promise<IssuedSession>;
  getUser(userId: string): Promise<UserView | null>;
  /** Re-checks the current password, stores the new hash, revokes every other session of the user and
   *  returns a new session replacing `currentToken`. Throws WRONG_PASSWORD, WEAK_PASSWORD, RATE_LIMITED
   *  (wrong passwords here count against the email as at login). */
  changePassword(input: {
    userId: string;
    currentToken: string;
    currentPassword: string;
    newPassword: string;
  }): Promise<IssuedSession>;
}

export interface AuthService {
  /** Password step. Unknown email and wrong password both throw INVALID_CREDENTIALS after the same work
   *  (a dummy hash is verified for unknown emails). Revokes `previousToken` if given (fixation). Rehashes
   *  the password when its parameters are older than the current ones. After too many wrong passwords for
   *  the email (known or not) throws RATE_LIMITED, before any hashing, the same way for every email. A
   *  user whose codes are locked still gets a pending session (the code step says how long to wait). */
  login(input: {
    email: string;
    password: string;
    previousToken?: string;
    /** The trusted-device cookie, if the browser sent one: after the right password it skips the second
     *  step (and rotates), and wrong passwords count against it instead of the email. */
    deviceToken?: string;
  }): Promise<LoginResult>;
  /** Throws BUSY (with retryAfterMs) when the password pool could take no check now (a login storm), so the
   *  edge can refuse a password post before reading it; otherwise does nothing. No database work. */
  refuseWhileBusy(): void;
  /** Second step. On success the pending session is replaced by a new full one (new token). Throws
   *  NOT_PENDING, SESSION_EXPIRED, FACTOR_NOT_AVAILABLE, MALFORMED_CODE (no attempt spent), INVALID_CODE or
   *  INVALID_RECOVERY_CODE (with attemptsLeft), TOO_MANY_ATTEMPTS, SECOND_FACTOR_LOCKED (with retryAfterMs)
   *  when the user's 6-digit codes are locked, even for the right code, and RECOVERY_RATE_LIMITED. */
  verifySecondFactor(input: {
    pendingToken: string;
    /** The view `resolveSession` gave for `pendingToken` in this request: saves looking it up again (the
     *  attempt's conditional update re-checks that it is still a live pending sign-in). */
    session?: SessionView;
    /** Which factor the code is for. @default 'totp' */
    factor?: FactorKind;
    code: string;
    /** "Remember this device for 30 days": a right code also trusts the device. @default false */
    rememberDevice?: boolean;
  }): Promise<SecondStepResult>;
  /** How long the user's code checks are still refused for, in milliseconds; 0 when they are not. */
  secondFactorWaitMs(userId: string): Promise<number>;
  /** Which limit refuses the user's 6-digit codes now (of both, the one with the longer wait), and for how
   *  long; undefined when they are taken. */
  secondFactorLimit(
    userId: string,
  ): Promise<{ code: 'SECOND_FACTOR_LOCKED' | 'SECOND_FACTOR_BUDGET_SPENT'; waitMs: number } | undefined>;
  /** Emails a sign-in code to a pending sign-in that may use codes by email. Throws SESSION_EXPIRED,
   *  NOT_PENDING, FACTOR_NOT_AVAILABLE, RESEND_TOO_SOON, SEND_LIMIT_REACHED, MESSAGE_NOT_SENT. */
  sendSignInCode(input: {
    pendingToken: string /** @default 'email' */;
    channel?: 'email' | 'sms';
  }): Promise<void>;
  /** Resolves a cookie token; touches the idle timeout. Null when unknown, expired or malformed. */
  resolveSession(token: string): Promise<SessionView | null>;
  /** Deletes the session. Unknown tokens are ignored. */
  logout(token: string): Promise<void>;
}

export interface TotpService {
  /** Starts (or restarts) set-up for a user without 2FA: a new secret kept server-side, encrypted.
   *  Throws TOTP_ALREADY_ENABLED. */
  beginEnrollment(userId: string): Promise<EnrollmentView>;
  /** The pending set-up, or null (also once it is 15 minutes old: an expired set-up is deleted). */
  getPendingEnrollment(userId: string): Promise<EnrollmentView | null>;
  /** Needs the current password (a stolen session must not enroll its own authenticator), then checks a
   *  code from the app against the pending secret (set-ups expire 15 minutes after they start); on success 2FA is on (or the replacement is active)
   *  and that code's step counts as used. Throws NO_PENDING_ENROLLMENT, WRONG_PASSWORD, RATE_LIMITED (the
   *  email's password limit), MALFORMED_CODE, INVALID_SETUP_CODE. Turning 2FA on makes a set of recovery codes
   *  (returned once, here); a replacement keeps the user's set (or makes one if they have none). */
  confirmEnrollment(input: { userId: string; password: string; code: string }): Promise<ConfirmedEnrollment>;
  /** Deletes the pending set-up or replacement (the current authenticator, if any, stays). True when there
   *  was one. */
  cancelEnrollment(userId: string): Promise<boolean>;
  /** Needs the password and a current code from the app or a recovery code (which is then used up). Throws
   *  WRONG_PASSWORD, MALFORMED_CODE, INVALID_CODE, INVALID_RECOVERY_CODE, TOTP_NOT_ENABLED, RATE_LIMITED (the
   *  email's password limit), SECOND_FACTOR_LOCKED, RECOVERY_RATE_LIMITED. Recovery codes go too. */
  disable(input: { userId: string; password: string; code: string }): Promise<void>;
  /** Replacing the authenticator: password + current code, then a new pending set-up; the old credential
   *  stays active until the new one is confirmed. Throws as `disable` does. */
  beginReplacement(input: { userId: string; password: string; code: string }): Promise<EnrollmentView>;
}

export interface ConfirmedEnrollment {
  /** The new recovery codes, formatted for display; shown once, never stored in clear. Null when kept. */
  readonly recoveryCodes: readonly string[] | null;
}

export interface RecoveryService {
  /** Replaces the user's whole set with new codes, returned once. Needs the password and a current code
   *  (from the app, or a recovery code). Throws as `TotpService.disable` does. */
  regenerate(input: { userId: string; password: string; code: string }): Promise<readonly string[]>;
}

export interface EmailVerificationService {
  /** Sends a new code and link to the signed-in user's address. Throws EMAIL_ALREADY_VERIFIED,
   *  RESEND_TOO_SOON, SEND_LIMIT_REACHED (with retryAfterMs). */
  resend(userId: string): Promise<void>;
  /** The 6 digits from the message. Throws EMAIL_ALREADY_VERIFIED, MALFORMED_CODE, INVALID_MESSAGE_CODE. */
  verifyCode(input: { userId: string; code: string }): Promise<void>;
  /** Whether a verification link would still work (changes nothing: the page asks before it verifies). */
  isLinkLive(token: string): Promise<boolean>;
  /** Verifies the address the link was sent to. Throws INVALID_LINK. */
  verifyLink(token: string): Promise<void>;
}

/** What the reset page needs to know about a live link. */
export interface PasswordResetView {
  /** With 2FA on, the reset also takes a code from a factor that is not email; null: 2FA is off. */
  readonly needsCode: CodeShape | null;
  /** A code by text message can be sent from the reset page (codes by text message are on). */
  readonly smsAvailable: boolean;
}

export interface PasswordResetService {
  /** Sends a reset link if a verified account has this address; answers the same in every case. Throws
   *  INVALID_EMAIL only. */
  request(email: string): Promise<void>;
  /** The live link's needs, or null when the link does not work (used, expired, replaced, unknown). */
  check(token: string): Promise<PasswordResetView | null>;
  /** Sets the new password (and ends every session). Throws INVALID_LINK, WEAK_PASSWORD, and with 2FA on
   *  MALFORMED_CODE, INVALID_CODE, INVALID_RECOVERY_CODE, SECOND_FACTOR_LOCKED, RECOVERY_RATE_LIMITED. */
  reset(input: { token: string; newPassword: string; code: string }): Promise<void>;
  /** Texts a code to confirm the reset with (codes by text message on). Throws INVALID_LINK, FACTOR_NOT_ON,
   *  RESEND_TOO_SOON, SEND_LIMIT_REACHED, MESSAGE_NOT_SENT. */
  sendCode(token: string): Promise<void>;
}

export interface MessageFactorService {
  /** Needs a confirmed address and the password. Returns recovery codes (shown once) when the user had
   *  none, else null. Throws EMAIL_NOT_VERIFIED, FACTOR_ALREADY_ON, WRONG_PASSWORD, RATE_LIMITED. */
  enable(input: { userId: string; password: string }): Promise<ConfirmedEnrollment>;
  /** Needs the password and a current code (as `TotpService.disable`). Throws FACTOR_NOT_ON and as that. */
  disable(input: { userId: string; password: string; code: string }): Promise<void>;
  /** Emails a code to confirm a change with (users whose only 6-digit factor is email). Throws
   *  FACTOR_NOT_ON, RESEND_TOO_SOON, SEND_LIMIT_REACHED, MESSAGE_NOT_SENT. */
  sendCode(userId: string): Promise<void>;
}

export interface PhoneService {
  /** Sets the number (E.164 after dropping spaces, dashes, dots, brackets) and texts it a code. Needs the
   *  password; replacing a verified number also needs a current code (as `TotpService.disable`) and tells the
   *  old number. Throws INVALID_PHONE, WRONG_PASSWORD, RATE_LIMITED, the second factor's errors,
   *  RESEND_TOO_SOON, SEND_LIMIT_REACHED, MESSAGE_NOT_SENT. */
  set(input: { userId: string; password: string; code: string; phone: string }): Promise<void>;
  /** Texts a new code to the unverified number. Throws NO_PHONE_TO_VERIFY and the sending errors. */
  resend(userId: string): Promise<void>;
  /** The code from the text message. Throws NO_PHONE_TO_VERIFY, MALFORMED_CODE, INVALID_MESSAGE_CODE. */
  verify(input: { userId: string; code: string }): Promise<void>;
}

export interface HardwareTokenService {
  /** Registers a hardware token (OATH-HOTP): its key (base32, or an otpauth://hotp URI) and two consecutive
   *  codes it shows, which must be found within counters 0..1000 (from the URI's counter when it has one).
   *  Needs the password. Returns recovery codes (shown once) when the user had none, else null. Throws
   *  FACTOR_ALREADY_ON, WRONG_PASSWORD, RATE_LIMITED, INVALID_TOKEN_KEY, WEAK_TOKEN_KEY, MALFORMED_CODE,
   *  INVALID_TOKEN_CODES. */
  register(input: {
    userId: string;
    password: string;
    key: string;
    code: string;
    nextCode: string;
  }): Promise<ConfirmedEnrollment>;
  /** Needs the password and a current code (as `TotpService.disable`). Throws FACTOR_NOT_ON and as that. */
  remove(input: { userId: string; password: string; code: string }): Promise<void>;
  /** When the user's token was registered, or null without one. */
  registeredAtMs(userId: string): Promise<number | null>;
}

export interface AccountRecoveryService {
  /** From a pending sign-in: emails a link to confirm the request. Throws SESSION_EXPIRED, NOT_PENDING,
   *  EMAIL_NOT_VERIFIED, RESEND_TOO_SOON, SEND_LIMIT_REACHED. Nothing new while one is already waiting. */
  request(input: { pendingToken: string }): Promise<void>;
  isConfirmLinkLive(token: string): Promise<boolean>;
  /** Starts the wait and tells the owner by every channel (with a cancel link). Throws INVALID_LINK. */
  confirm(token: string): Promise<void>;
  isCancelLinkLive(token: string): Promise<boolean>;
  /** Cancels from the message's link. Throws INVALID_LINK. */
  cancelByLink(token: string): Promise<void>;
  /** Cancels from a signed-in device (nothing when there is none). */
  cancelBySession(userId: string): Promise<void>;
  /** The user's request, if any: its state and (once confirmed) when the wait ends. */
  pending(userId: string): Promise<{ state: 'requested' | 'waiting'; readyAtMs: number | null } | null>;
}

export interface MessagesService {
  /** Sends the notices of every event recorded so far and waits for every message in flight (tests). */
  flush(): Promise<void>;
}

export interface AuditService {
  /** The user's latest events, newest first (at most RECENT_EVENTS_SHOWN). */
  recentEvents(userId: string): Promise<readonly AuditEventView[]>;
  /**
   * Failed attempts at the second step (wrong codes while signing in, and while confirming a change) between
   * the user's previous full sign-in and the latest one, with the last of them; undefined before a second
   * sign-in.
   */
  failedSecondSteps(userId: string): Promise<FailedSecondSteps | undefined>;
}

/** What the first page after a sign-in tells the owner (issue #10). */
export interface FailedSecondSteps {
  readonly count: number;
  /** The latest of them: when, from which address and device. */
  readonly last?: { readonly atMs: number; readonly ip: string | null; readonly userAgent: string | null };
}

export interface HealthService {
  /** Pings the database. */
  check(): Promise<{ ok: boolean; database: 'sqlite' | 'postgres'; error?: string }>;
}

/** What an API key may do. */
export type ApiScope = 'enroll' | 'verify' | 'manage';
export const API_SCOPES: readonly ApiScope[] = ['enroll', 'verify', 'manage'];

/** An API key as an operator sees it: never its secret. */
export interface ApiKeyView {
  readonly id: string;
  /** The public part of the token (`twofa_<prefix>_...`). */
  readonly prefix: string;
  readonly name: string;
  readonly tenant: string;
  readonly scopes: readonly ApiScope[];
  readonly requestsPerMinute: number;
  readonly createdAtMs: number;
  readonly lastUsedAtMs: number | null;
  readonly revokedAtMs: number | null;
}

/** The key behind an authenticated API request. */
export interface ApiCaller {
  readonly keyId: string;
  readonly tenant: string;
  readonly scopes: readonly ApiScope[];
}

export interface ApiKeyService {
  /** Makes a key; `token` is returned here only (stored as a keyed hash). Throws INVALID_INPUT (field). */
  create(input: {
    readonly name: string;
    readonly tenant: string;
    readonly scopes: readonly string[];
    /** @default DEFAULT_API_REQUESTS_PER_MINUTE */
    readonly requestsPerMinute?: number;
  }): Promise<{ readonly key: ApiKeyView; readonly token: string }>;
  list(): Promise<readonly ApiKeyView[]>;
  /** Revokes by id or prefix; null when no unrevoked key has it. */
  revoke(idOrPrefix: string): Promise<ApiKeyView | null>;
  /** The caller behind a bearer token. Throws API_KEY_INVALID, API_RATE_LIMITED (the key's budget). */
  authenticate(token: string | undefined): Promise<ApiCaller>;
}

/**
 * The factors the JSON API offers. A subject has no address (its email is a placeholder), so codes by email
 * or text message are never set up, sent or accepted through the API.
 */
export type ApiFactorKind = Extract<FactorKind, 'totp' | 'recovery'>;

/** A subject's factor, as the API lists it. */
export interface SubjectFactorView {
  readonly kind: ApiFactorKind;
  /** When it was set up (totp only). */
  readonly createdAtMs?: number;
  /** Unused recovery codes (recovery only). */
  readonly remaining?: number;
}

export interface SubjectEnrollmentView {
  readonly enrollmentId: string;
  readonly uri: string;
  readonly expiresAtMs: number;
  /** A replay of an earlier request with the same Idempotency-Key. */
  readonly replayed: boolean;
}

export interface SubjectVerification {
  readonly valid: boolean;
  /** The factor the code was checked against. */
  readonly factor: ApiFactorKind;
  readonly remainingRecoveryCodes: number;
  /** Wrong 6-digit codes (or recovery codes) left before the subject's limit closes; wrong codes only. */
  readonly attemptsLeft?: number;
}

/** The rules of the JSON API: the same factor seam, limits and audit sink as the pages, per subject. */
export interface SubjectService {
  /** Starts (or restarts) TOTP set-up, creating the subject on first use. Throws TOTP_ALREADY_ENABLED,
   *  IDEMPOTENCY_KEY_REUSED, ENROLLMENT_CLOSED. */
  beginEnrollment(input: {
    caller: ApiCaller;
    subject: string;
    accountName?: string;
    issuer?: string;
    idempotencyKey?: string;
  }): Promise<SubjectEnrollmentView>;
  /** Throws SUBJECT_NOT_FOUND, ENROLLMENT_NOT_FOUND, MALFORMED_CODE, INVALID_SETUP_CODE. */
  confirmEnrollment(input: {
    caller: ApiCaller;
    subject: string;
    enrollmentId: string;
    code: string;
  }): Promise<ConfirmedEnrollment>;
  /** A wrong code is `valid: false`. Throws SUBJECT_NOT_FOUND, NO_SECOND_FACTOR, FACTOR_NOT_ENROLLED,
   *  MALFORMED_CODE, SECOND_FACTOR_LOCKED, RECOVERY_RATE_LIMITED. */
  verify(input: {
    caller: ApiCaller;
    subject: string;
    code: string;
    factor?: ApiFactorKind;
  }): Promise<SubjectVerification>;
  listFactors(input: { caller: ApiCaller; subject: string }): Promise<readonly SubjectFactorView[]>;
  /** Removing TOTP removes the recovery codes too (they stand in for it). Throws FACTOR_NOT_ENROLLED. */
  removeFactor(input: { caller: ApiCaller; subject: string; factor: ApiFactorKind }): Promise<void>;
  /** A new set replacing the old; returned once. Throws NO_SECOND_FACTOR without a primary factor. */
  generateRecoveryCodes(input: { caller: ApiCaller; subject: string }): Promise<readonly string[]>;
  /** The subject's latest audit events, newest first. */
  listEvents(input: {
    caller: ApiCaller;
    subject: string;
    limit?: number;
  }): Promise<readonly AuditEventView[]>;
}

/** Everything the HTTP layer needs, built by `openServices(config)` in ./index.ts. */
/** The per-client request budget (services/client-limits.ts). */
export interface ClientLimitService {
  /** Counts one request for the current request's client address; throws CLIENT_RATE_LIMITED (with the wait)
   *  when the address has used its budget for the minute. Counts nothing for a request without an address. */
  spend(): Promise<void>;
}

export interface Services {
  readonly accounts: AccountService;
  readonly clientLimits: ClientLimitService;
  /** API keys (made by `twofa admin api-key`, checked on every API request). */
  readonly apiKeys: ApiKeyService;
  /** The calling apps' subjects and their factors (the JSON API). */
  readonly subjects: SubjectService;
  readonly auth: AuthService;
  /** Trusted devices and "Sign out everywhere" (the security page). */
  readonly devices: DeviceService;
  readonly totp: TotpService;
  readonly recovery: RecoveryService;
  readonly emailVerification: EmailVerificationService;
  readonly emailFactor: MessageFactorService;
  readonly smsFactor: MessageFactorService;
  readonly phone: PhoneService;
  readonly accountRecovery: AccountRecoveryService;
  /** Hardware tokens (OATH-HOTP). */
  readonly hardwareToken: HardwareTokenService;
  readonly passwordReset: PasswordResetService;
  readonly messages: MessagesService;
  readonly audit: AuditService;
  readonly health: HealthService;
  /** Runs `fn` with the request's metadata, which every event recorded inside it carries. */
  withRequest<T>(meta: RequestMeta, fn: () => Promise<T>): Promise<T>;
  /** Deletes expired sessions and ended throttle windows now, in batches (a timer does it every minute);
   *  returns how many rows went. */
  purgeExpired(): Promise<{
    readonly sessions: number;
    readonly throttleWindows: number;
    readonly devices: number;
  }>;
  /** Stops the purge timer and closes the database. */
  close(): Promise<void>;
}
