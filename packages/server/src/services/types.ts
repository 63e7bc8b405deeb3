/**
 * The contract between the HTTP layer (routes) and the rules (services). Routes call only these; services
 * know nothing of HTTP, cookies or HTML; the store knows nothing of the rules.
 *
 * Tokens: a session token is the raw random value that goes in the cookie (256 bits, base64url). The store
 * keeps only its SHA-256 hash. Every method that takes a token accepts any string and treats an unknown,
 * expired or malformed token as "no session".
 */

/** Codes of the one error type the services throw. The HTTP edge maps each to a status and a message. */
export type ServiceErrorCode =
  | 'INVALID_INPUT' // a field is missing or malformed (message names the field)
  | 'INVALID_EMAIL'
  | 'WEAK_PASSWORD' // shorter than 8 or longer than 128 characters
  | 'EMAIL_TAKEN'
  | 'INVALID_CREDENTIALS' // unknown email or wrong password: the same code, message and timing for both
  | 'WRONG_PASSWORD' // re-authentication of a signed-in user failed (change password, 2FA on, off, replace)
  | 'INVALID_CODE' // a one-time code was wrong or already used
  | 'TOO_MANY_ATTEMPTS' // the pending login used up its code attempts; the pending session is gone
  | 'SECOND_FACTOR_LOCKED' // too many wrong codes for this user, across sessions: codes refused (retryAfterMs)
  | 'RATE_LIMITED' // too many wrong passwords for this email, known or not: passwords refused (retryAfterMs)
  | 'SESSION_EXPIRED' // no such session, or it timed out
  | 'NOT_PENDING' // a second-factor step on a session that is not waiting for one
  | 'TOTP_ALREADY_ENABLED'
  | 'TOTP_NOT_ENABLED'
  | 'NO_PENDING_ENROLLMENT';

export interface ServiceErrorDetails {
  /** For INVALID_CODE during a pending login: attempts left before TOO_MANY_ATTEMPTS or a lock. */
  readonly attemptsLeft?: number;
  /** For SECOND_FACTOR_LOCKED and RATE_LIMITED: how long until another attempt is taken. */
  readonly retryAfterMs?: number;
}

export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  /** For INVALID_CODE during a pending login: attempts left before TOO_MANY_ATTEMPTS or a lock. */
  readonly attemptsLeft: number | undefined;
  /** For SECOND_FACTOR_LOCKED and RATE_LIMITED: how long until another attempt is taken. */
  readonly retryAfterMs: number | undefined;
  constructor(code: ServiceErrorCode, message: string, details: ServiceErrorDetails = {}) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    this.attemptsLeft = details.attemptsLeft;
    this.retryAfterMs = details.retryAfterMs;
  }
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
}

/** A freshly issued session: the raw token goes in the cookie, nowhere else. */
export interface IssuedSession {
  readonly token: string;
  readonly session: SessionView;
}

export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly totpEnabled: boolean;
  readonly createdAtMs: number;
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

export type LoginResult =
  /** No 2FA: a full session. */
  | { readonly kind: 'full'; readonly issued: IssuedSession }
  /** 2FA on: a pending session that can only take a code (5 minutes, 5 attempts). */
  | { readonly kind: 'pending'; readonly issued: IssuedSession };

export interface AccountService {
  /** Creates the account and returns a full session for it. Throws INVALID_EMAIL, WEAK_PASSWORD, EMAIL_TAKEN. */
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
  login(input: { email: string; password: string; previousToken?: string }): Promise<LoginResult>;
  /** Second step. On success the pending session is replaced by a new full one (new token). Throws
   *  NOT_PENDING, SESSION_EXPIRED, INVALID_CODE (with attemptsLeft), TOO_MANY_ATTEMPTS, and
   *  SECOND_FACTOR_LOCKED (with retryAfterMs) when the user's codes are locked, even for the right code. */
  verifySecondFactor(input: { pendingToken: string; code: string }): Promise<IssuedSession>;
  /** How long the user's code checks are still refused for, in milliseconds; 0 when they are not. */
  secondFactorWaitMs(userId: string): Promise<number>;
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
   *  email's password limit), INVALID_CODE. */
  confirmEnrollment(input: { userId: string; password: string; code: string }): Promise<void>;
  /** Deletes the pending set-up or replacement (the current authenticator, if any, stays). True when there
   *  was one. */
  cancelEnrollment(userId: string): Promise<boolean>;
  /** Needs the password and a current code. Throws WRONG_PASSWORD, INVALID_CODE, TOTP_NOT_ENABLED,
   *  RATE_LIMITED (the email's password limit), SECOND_FACTOR_LOCKED (the user's code limit). */
  disable(input: { userId: string; password: string; code: string }): Promise<void>;
  /** Replacing the authenticator: password + current code, then a new pending set-up; the old credential
   *  stays active until the new one is confirmed. Throws as `disable` does. */
  beginReplacement(input: { userId: string; password: string; code: string }): Promise<EnrollmentView>;
}

export interface HealthService {
  /** Pings the database. */
  check(): Promise<{ ok: boolean; database: 'sqlite' | 'postgres'; error?: string }>;
}

/** Everything the HTTP layer needs, built by `openServices(config)` in ./index.ts. */
export interface Services {
  readonly accounts: AccountService;
  readonly auth: AuthService;
  readonly totp: TotpService;
  readonly health: HealthService;
  /** Closes the database. */
  close(): Promise<void>;
}
