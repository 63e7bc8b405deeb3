/**
 * The one place a ServiceError becomes an HTTP status and a message a person can act on. Messages never
 * echo what was typed (a password or code) and are the same for an unknown email and a wrong password.
 */
import { ServiceError, type ServiceErrorCode } from '../services/types.ts';

export interface PageError {
  readonly status: 400 | 401 | 403 | 409 | 429;
  readonly message: string;
}

export const SERVICE_ERRORS: Record<ServiceErrorCode, PageError> = {
  INVALID_INPUT: { status: 400, message: 'Please fill in every field.' },
  INVALID_EMAIL: { status: 400, message: 'That does not look like an email address.' },
  WEAK_PASSWORD: { status: 400, message: 'Choose a password of 8 to 128 characters.' },
  // Sign-up has to say this much: see "Account enumeration" in the README.
  EMAIL_TAKEN: { status: 409, message: 'An account with this email already exists. Log in instead.' },
  INVALID_CREDENTIALS: { status: 401, message: 'Email or password is incorrect.' },
  WRONG_PASSWORD: { status: 401, message: 'Your password is incorrect.' },
  INVALID_CODE: {
    status: 401,
    message: 'That code is not valid, or it was already used. Wait for the next code and try again.',
  },
  TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many wrong codes. Log in again to get new attempts.' },
  // The wait is added by pageErrorOf (and sent as Retry-After).
  SECOND_FACTOR_LOCKED: {
    status: 429,
    message: 'Too many wrong codes were entered for this account, so codes are refused for now.',
  },
  // The same words for every email, with or without an account (account enumeration).
  RATE_LIMITED: { status: 429, message: 'Too many failed attempts to sign in with this email.' },
  SESSION_EXPIRED: { status: 401, message: 'Your sign-in expired. Log in again.' },
  NOT_PENDING: { status: 400, message: 'There is no sign-in waiting for a code. Log in first.' },
  TOTP_ALREADY_ENABLED: { status: 409, message: 'Two-factor authentication is already on.' },
  TOTP_NOT_ENABLED: { status: 409, message: 'Two-factor authentication is not on.' },
  NO_PENDING_ENROLLMENT: { status: 409, message: 'There is no set-up to confirm. Start the set-up again.' },
};

export interface PageErrorOf extends PageError {
  readonly code: ServiceErrorCode;
  /** For the Retry-After header, when the error says how long to wait. */
  readonly retryAfterSeconds?: number;
}

/** The page error for a ServiceError; anything else is rethrown for the app's error handler (a 500). */
export function pageErrorOf(error: unknown): PageErrorOf {
  if (!(error instanceof ServiceError)) throw error;
  const known = SERVICE_ERRORS[error.code];
  // INVALID_INPUT's own message names the field, which helps more than the generic line.
  const message = error.code === 'INVALID_INPUT' && error.message ? error.message : known.message;
  if (error.retryAfterMs === undefined) return { ...known, message, code: error.code };
  return {
    ...known,
    message: `${message} ${waitText(error.retryAfterMs)}`,
    code: error.code,
    retryAfterSeconds: Math.max(1, Math.ceil(error.retryAfterMs / 1000)),
  };
}

/** The page error a service would give for `code` with a wait (for pages that ask before anything is sent). */
export function waitPageError(
  code: 'SECOND_FACTOR_LOCKED' | 'RATE_LIMITED',
  retryAfterMs: number,
): PageErrorOf {
  return pageErrorOf(new ServiceError(code, code, { retryAfterMs }));
}

/** "Wait 15 minutes, then try again.": rounded up, so the wait said is never too short. */
export function waitText(ms: number): string {
  const n = Math.max(1, Math.ceil(ms / 60_000));
  return `Wait ${n} ${n === 1 ? 'minute' : 'minutes'}, then try again.`;
}
