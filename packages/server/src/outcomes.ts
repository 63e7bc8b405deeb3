/**
 * The one table of outcomes: each service error code with its HTTP status and the words a person reads. The
 * pages read it, and so does the JSON API beside them (src/api/), which answers `{"error": {"code", "message"}}`. Services carry codes and details,
 * never sentences. Messages never echo what was typed (a password or code) and are the same for an unknown
 * email and a wrong password.
 */
import { ServiceError, type ServiceErrorCode } from './services/types.ts';

export type OutcomeStatus = 400 | 401 | 403 | 404 | 409 | 422 | 429 | 503;

export interface Outcome {
  readonly status: OutcomeStatus;
  readonly message: string;
}

export const OUTCOMES: Readonly<Record<ServiceErrorCode, Outcome>> = {
  INVALID_INPUT: { status: 400, message: 'Please fill in every field.' },
  INVALID_EMAIL: { status: 400, message: 'That does not look like an email address.' },
  WEAK_PASSWORD: { status: 400, message: 'Choose a password of 8 to 128 characters.' },
  SAME_PASSWORD: { status: 400, message: 'The new password is the same as the current one. Choose another.' },
  // Sign-up has to say this much: see "Account enumeration" in the README.
  EMAIL_TAKEN: { status: 409, message: 'An account with this email already exists. Log in instead.' },
  // The same words for an unknown email and a wrong password (account enumeration).
  SAME_EMAIL: { status: 400, message: 'That is the address the account already has.' },
  INVALID_CREDENTIALS: { status: 401, message: 'The email or password is not correct.' },
  WRONG_PASSWORD: { status: 401, message: 'The password is not correct.' },
  // The words depend on what was expected: see MALFORMED_CODE_MESSAGES.
  MALFORMED_CODE: { status: 400, message: 'Enter the 6 digits the app shows.' },
  INVALID_CODE: {
    status: 401,
    message: 'That code is not valid, or it was already used. Wait for the next code and try again.',
  },
  CODE_ALREADY_USED: {
    status: 401,
    message: 'That code was already used. Wait for the app to show the next code and enter that one.',
  },
  // The wait (until one wrong code comes back to the budget) is added by outcomeOf.
  SECOND_FACTOR_BUDGET_SPENT: {
    status: 429,
    message:
      'Too many wrong codes were entered for this account over the past weeks, so 6-digit codes are refused ' +
      'until the limit refills. A recovery code still works.',
  },
  // The first code of a set-up cannot have been used before.
  INVALID_SETUP_CODE: {
    status: 401,
    message: 'That code is not valid. Check that the app shows this account, then enter its current code.',
  },
  INVALID_RECOVERY_CODE: { status: 401, message: 'That recovery code is not valid, or it was already used.' },
  TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many wrong codes. Log in again to get new attempts.' },
  // The wait is added by outcomeOf (and sent as Retry-After).
  SECOND_FACTOR_LOCKED: {
    status: 429,
    message:
      'Too many wrong codes were entered for this account, so codes from the app are refused for now. ' +
      'A recovery code still works.',
  },
  RECOVERY_RATE_LIMITED: {
    status: 429,
    message: 'Too many wrong recovery codes for this account. Check the code against your saved list.',
  },
  // The same words for every email, with or without an account (account enumeration).
  RATE_LIMITED: { status: 429, message: 'Too many failed attempts to sign in with this email.' },
  SESSION_EXPIRED: { status: 401, message: 'Your sign-in expired. Log in again.' },
  NOT_PENDING: { status: 400, message: 'There is no sign-in waiting for a code. Log in first.' },
  FACTOR_NOT_AVAILABLE: { status: 400, message: 'This sign-in cannot use that kind of code. Log in again.' },
  TOTP_ALREADY_ENABLED: { status: 409, message: 'Two-factor authentication is already on.' },
  TOTP_NOT_ENABLED: { status: 409, message: 'Two-factor authentication is not on.' },
  NO_PENDING_ENROLLMENT: { status: 409, message: 'There is no set-up to confirm. Start the set-up again.' },
  INVALID_MESSAGE_CODE: {
    status: 401,
    message:
      'That code is not right, or it is no longer valid (it expired, was used, or a newer message replaced it). Check the latest message, or send a new code.',
  },
  INVALID_LINK: {
    status: 400,
    message:
      'This link no longer works: it was used already, it expired, or a newer message replaced it. Ask for a new one.',
  },
  RESEND_TOO_SOON: { status: 429, message: 'A message was sent less than a minute ago.' },
  SEND_LIMIT_REACHED: { status: 429, message: 'Too many messages were sent to this address today.' },
  EMAIL_ALREADY_VERIFIED: { status: 409, message: 'Your email address is already verified.' },
  EMAIL_NOT_VERIFIED: { status: 409, message: 'Confirm your email address first (above).' },
  MESSAGE_NOT_SENT: {
    status: 503,
    message:
      'The message could not be sent just now: the mail or text-message service did not answer. Try again in a few minutes.',
  },
  INVALID_TOKEN_KEY: {
    status: 400,
    message:
      "That key is not one we can use: enter the base32 key from the token's card (at least 128 bits), or an otpauth://hotp/ link for 6-digit codes.",
  },
  WEAK_TOKEN_KEY: {
    status: 400,
    message:
      "That key is a pattern or a published test key: anyone could work out its codes. Enter the key from your token's own card.",
  },
  INVALID_TOKEN_CODES: {
    status: 400,
    message:
      'Those codes do not match the key: press the button twice and enter the two codes it shows, in order.',
  },
  FACTOR_ALREADY_ON: { status: 409, message: 'That kind of code is already on.' },
  FACTOR_NOT_ON: { status: 409, message: 'That kind of code is not on.' },
  INVALID_PHONE: {
    status: 400,
    message:
      'Enter the number in international form, starting with + and the country code, like +44 20 7946 0958.',
  },
  NO_PHONE_TO_VERIFY: {
    status: 409,
    message: 'There is no phone number waiting to be verified. Add one first.',
  },
  // The JSON API. A field named by the service is added by outcomeOf.
  MALFORMED_JSON: { status: 400, message: 'Send the body as JSON, with Content-Type: application/json.' },
  INVALID_REQUEST: { status: 422, message: 'The request does not match the API description.' },
  NOT_FOUND: { status: 404, message: 'There is no API operation at this path with this method.' },
  // The same words for a missing, malformed, unknown and revoked key.
  API_KEY_INVALID: {
    status: 401,
    message:
      'Send a valid API key as "Authorization: Bearer twofa_...". This one is missing, unknown or revoked.',
  },
  API_KEY_SCOPE: { status: 403, message: 'This API key does not have the scope this operation needs.' },
  API_RATE_LIMITED: { status: 429, message: 'This API key has used its requests for this minute.' },
  // The same words for an id never used and one of another tenant.
  SUBJECT_NOT_FOUND: { status: 404, message: 'There is no subject with this id for this API key.' },
  ENROLLMENT_NOT_FOUND: {
    status: 404,
    message: 'There is no set-up with this id waiting for this subject (set-ups expire after 15 minutes).',
  },
  ENROLLMENT_CLOSED: {
    status: 409,
    message: 'The set-up made with this Idempotency-Key was confirmed, replaced or expired. Use a new key.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message: 'This Idempotency-Key was used with a different request. Use a new key for a new request.',
  },
  NO_SECOND_FACTOR: { status: 409, message: 'This subject has no authenticator app set up.' },
  FACTOR_NOT_ENROLLED: { status: 409, message: 'This subject has no factor of that kind.' },
  // The same words for a device already revoked and one of another user.
  DEVICE_NOT_FOUND: { status: 404, message: 'That device is not in your list of trusted devices any more.' },
  // Operators only (twofa admin): the public pages never say whether an account exists.
  USER_NOT_FOUND: { status: 404, message: 'There is no account with this email.' },
  // Master key rotation (twofa admin rotate-key): operators only.
  UNKNOWN_KEY: {
    status: 400,
    message: 'The master key list (TWOFA_MASTER_KEY or the key file) has no key with this id.',
  },
  KEY_IS_CURRENT: { status: 409, message: 'That key is the current master key.' },
  KEY_IN_USE: {
    status: 409,
    message: 'Stored secrets, phone numbers, unused recovery codes or API keys still need that key.',
  },
  KEY_NOT_ON_EVERY_INSTANCE: {
    status: 409,
    message:
      'Running instances lack the new key: add it to their TWOFA_MASTER_KEY (after the current key) and ' +
      'restart them one at a time, then run rotate-key again.',
  },
  ROTATION_UNFINISHED: {
    status: 409,
    message:
      'A rotation to another key is unfinished: run twofa admin rotate-key (without --to) to finish it.',
  },
  // Per client address, whatever the account (the wait is added by outcomeOf and sent as Retry-After).
  CLIENT_RATE_LIMITED: {
    status: 429,
    message: 'Too many requests from your network in the last minute.',
  },
  // The password checks' queue is full (a login storm): refused before any work, no attempt spent.
  BUSY: {
    status: 503,
    message:
      'The service is busy checking other sign-ins. Nothing was changed and no attempt was counted: try again in a moment.',
  },
  // Not a page's own outcome: outcomeOf rethrows it, so the one error handler answers it for every route.
  UNAVAILABLE: {
    status: 503,
    message: 'The service cannot reach its database right now. Nothing was changed: try again in a moment.',
  },
};

/** RFC 9110 s15.6.4: a 503 may say when to come back; a dropped connection is replaced within a second. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/** API outcomes whose message ends by naming the field at fault (`...: accountName.`). */
const API_FIELD_MESSAGES: ReadonlySet<ServiceErrorCode> = new Set(['INVALID_REQUEST', 'API_KEY_SCOPE']);

/** MALFORMED_CODE by what would have been accepted. */
const MALFORMED_CODE_MESSAGES: Record<NonNullable<ServiceError['expected']>, string> = {
  totp: 'Enter the 6 digits the app shows.',
  recovery: 'Enter a recovery code: 16 letters and digits, as on your saved list (dashes optional).',
  'totp-or-recovery': 'Enter the 6 digits the app shows, or one of your recovery codes.',
  message: 'Enter the 6 digits from the message.',
  'message-or-recovery': 'Enter the 6 digits from the message, or one of your recovery codes.',
  token: 'Enter the 6 digits your hardware token shows.',
  'token-or-recovery': 'Enter the 6 digits your hardware token shows, or one of your recovery codes.',
};

export interface OutcomeOf extends Outcome {
  readonly code: ServiceErrorCode;
  /** The input at fault, as the service named it. */
  readonly field?: string;
  /** For the Retry-After header, when the error says how long to wait. */
  readonly retryAfterSeconds?: number;
}

/**
 * The outcome of a ServiceError. Anything else is rethrown for the app's error handler (a 500), and so is
 * UNAVAILABLE (a 503 there): a route that shows its form again for a wrong code must not treat an outage as
 * the end of a sign-in.
 */
export function outcomeOf(error: unknown): OutcomeOf {
  if (!(error instanceof ServiceError) || error.code === 'UNAVAILABLE') throw error;
  const known = OUTCOMES[error.code];
  let message = known.message;
  if (error.code === 'INVALID_INPUT' && error.field !== undefined) message = `Please fill in ${error.field}.`;
  if (error.field !== undefined && API_FIELD_MESSAGES.has(error.code)) {
    message = `${message.slice(0, -1)}: ${error.field}.`;
  }
  if (error.code === 'MALFORMED_CODE' && error.expected !== undefined) {
    message = MALFORMED_CODE_MESSAGES[error.expected];
  }
  if (error.attemptsLeft !== undefined) {
    message = `${message} ${error.attemptsLeft} ${error.attemptsLeft === 1 ? 'attempt' : 'attempts'} left.`;
  }
  const field = error.field === undefined ? {} : { field: error.field };
  if (error.retryAfterMs === undefined) return { ...known, message, code: error.code, ...field };
  return {
    ...known,
    // BUSY asks for a second or so, which "Wait 1 minute" would overstate; its words say "in a moment".
    message: error.code === 'BUSY' ? message : `${message} ${waitText(error.retryAfterMs)}`,
    code: error.code,
    ...field,
    retryAfterSeconds: Math.max(1, Math.ceil(error.retryAfterMs / 1000)),
  };
}

/** The outcome a service would give for `code` with a wait (for pages that ask before anything is sent). */
export function waitOutcome(
  code: 'SECOND_FACTOR_LOCKED' | 'SECOND_FACTOR_BUDGET_SPENT' | 'RECOVERY_RATE_LIMITED' | 'RATE_LIMITED',
  retryAfterMs: number,
): OutcomeOf {
  return outcomeOf(new ServiceError(code, { retryAfterMs }));
}

/** "Wait 15 minutes, then try again.": rounded up, so the wait said is never too short (in hours from 2). */
export function waitText(ms: number): string {
  if (ms > 2 * 3_600_000) {
    const hours = Math.ceil(ms / 3_600_000);
    return `Wait ${hours} hours, then try again.`;
  }
  const n = Math.max(1, Math.ceil(ms / 60_000));
  return `Wait ${n} ${n === 1 ? 'minute' : 'minutes'}, then try again.`;
}

/**
 * A ServiceError as one line for an operator (`twofa admin`): the table's words, the field at fault and the
 * code, e.g. `There is no account with this email. (email; USER_NOT_FOUND)`.
 */
export function operatorMessage(error: ServiceError): string {
  let { message } = outcomeOf(error);
  // The pages' "Please fill in name." misleads an operator who gave a value in the wrong form.
  if (error.code === 'INVALID_INPUT' && error.field !== undefined) {
    message = `${error.field} is missing or not in the form it takes (see --help).`;
  }
  if (error.instances !== undefined) message = `${message} Lacking it: ${error.instances.join(', ')}.`;
  if (error.inUse !== undefined) {
    const { totpSecrets, phoneNumbers, recoveryCodes, apiKeys } = error.inUse;
    message =
      `${message} Under it: ${totpSecrets} TOTP secrets and ${phoneNumbers} phone numbers (rotate-key ` +
      `re-seals them), ${recoveryCodes} unused recovery codes (one-way hashes: they need the key until used ` +
      `or replaced), ${apiKeys} API keys (one-way hashes: each moves to the current key on its next request; ` +
      'use each once, or revoke it: twofa admin api-key list shows those not used since the rotation).';
  }
  const field = error.field === undefined ? '' : `${error.field}; `;
  return `${message} (${field}${error.code})`;
}
