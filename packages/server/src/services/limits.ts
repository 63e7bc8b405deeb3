/**
 * Every fixed limit of the service, in one place, each with the standard or reasoning it comes from. Limits
 * an operator may change are configuration (config.ts); these are not.
 */

/** Pending (second-step) sessions live 5 minutes... */
export const PENDING_SESSION_MS = 5 * 60 * 1000;
/** ...and allow 5 attempts (a guess succeeds with odds 5 * 3 / 10^6 with a +-1 window). */
export const MAX_CODE_ATTEMPTS = 5;
/**
 * A set-up (or replacement) not confirmed within 15 minutes of starting is treated as absent and deleted when
 * next seen: its secret stops being shown on /security to whoever holds the session, and a forgotten one does
 * not wait for ever to be confirmed. Long enough to find and install an app.
 */
export const PENDING_ENROLLMENT_MS = 15 * 60 * 1000;
/** The longest otpauth:// URI a set-up makes: what a QR code holds at medium error correction (ISO/IEC 18004
 * Table 7, version 40-M, byte mode: 2,331 bytes; the URI is ASCII once percent-encoded). */
export const MAX_KEY_URI_CHARS = 2331;
/** The idle clock is written at most once a minute, saving a write per request. */
export const TOUCH_INTERVAL_MS = 60 * 1000;
/**
 * Expired sessions and ended throttle windows are deleted by a timer this often (services/purge.ts), never on
 * a request's path: dead rows limit nothing (reads check expiry), they only take space.
 */
export const PURGE_INTERVAL_MS = 60 * 1000;
/** ...in batches of this many rows, so no delete holds SQLite's write lock (or a PostgreSQL scan) for long. */
export const PURGE_BATCH_ROWS = 500;

/**
 * Wrong 6-digit codes per user, across sessions (login code step, turning 2FA off, replacing the
 * authenticator). NIST SP 800-63B s5.2.2 asks for at most 100 consecutive failed attempts per account, and
 * OWASP's Authentication Cheat Sheet for a lockout after a few; 10 in a row start a lock, during which every
 * 6-digit code, the right one too, is refused before it is compared. Recovery codes are not: see below.
 */
export const MAX_CODE_FAILURES = 10;
/** The first lock lasts 15 minutes (OWASP Authentication Cheat Sheet: a lockout period, not a permanent lock)... */
export const FIRST_CODE_LOCK_MS = 15 * 60 * 1000;
/**
 * ...and each further lock without an accepted code between doubles it (NIST SP 800-63B s5.2.2: waits that
 * grow as failures pile up), up to a week.
 */
export const MAX_CODE_LOCK_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Form posts per client address a minute on the routes that guess or send (sign-up, the password step, the
 * code and recovery-code steps, resending a code, asking for a password reset or an account recovery): a
 * fixed window of a minute counted in the database (every instance shares it). A person signs in with a
 * handful; 30 leaves room for a family or an office behind one address, and caps one client at 43,200
 * password checks a day across all accounts instead of 4.4 million. OWASP Credential Stuffing Prevention
 * Cheat Sheet: limit by client as well as by account. An operator may change it (TWOFA_CLIENT_REQUESTS_PER_MINUTE).
 */
export const DEFAULT_CLIENT_REQUESTS_PER_MINUTE = 30;
export const CLIENT_BUDGET_WINDOW_MS = 60 * 1000;

/** Wrong passwords per email, known or not: 10 in a window of 15 minutes (OWASP Authentication Cheat Sheet). */
export const MAX_PASSWORD_FAILURES = 10;
export const PASSWORD_WINDOW_MS = 15 * 60 * 1000;
/**
 * A password check is counted while it runs (a reservation, so racing requests cannot exceed the limit) and
 * settled when it ends: a failure if the password was wrong, nothing if it was right. The reservation's lease:
 * a check unsettled after 30 seconds (its process died) stops holding its slot. Far above a check's longest
 * life: the password pool's longest queue wait (PASSWORD_QUEUE_WAIT_MS) plus an argon2 run.
 */
export const PASSWORD_CHECK_LEASE_MS = 30 * 1000;
/**
 * A request that finds the email's slots taken only by checks in flight (not by failures) waits for one to
 * settle, retrying every PASSWORD_SLOT_RETRY_MS for up to PASSWORD_SLOT_WAIT_MS, instead of a 429: many
 * concurrent right passwords for one email (a shared account, a script) all get through. Beyond the wait,
 * BUSY (503, Retry-After), no attempt counted.
 */
export const PASSWORD_SLOT_WAIT_MS = 5 * 1000;
export const PASSWORD_SLOT_RETRY_MS = 10;
/**
 * The password pool (services/password-pool.ts): argon2id runs on libuv's threadpool (UV_THREADPOOL_SIZE, 4 by
 * default), so at most that many run at once, and one fewer than the cores (argon2 is pure CPU: the event loop
 * keeps a core for every other request). The rest wait in a queue of at most PASSWORD_QUEUE_PER_THREAD per
 * running hash, each for at most PASSWORD_QUEUE_WAIT_MS; beyond either, BUSY (503 with Retry-After) before any
 * work. The two agree: a hash with OWASP's parameters takes 40-60 ms here, so 32 queued per thread are served
 * within ~1.6-1.9 s, inside the 2 s wait; a storm cannot queue more than that ahead of a real person.
 */
export const PASSWORD_QUEUE_PER_THREAD = 32;
export const PASSWORD_QUEUE_WAIT_MS = 2 * 1000;
/** What a BUSY answer asks the client to wait (Retry-After). */
export const PASSWORD_BUSY_RETRY_MS = 1000;

/**
 * Recovery codes per set. NIST SP 800-63B s5.1.2 (look-up secrets) and every major service: about 10.
 */
export const RECOVERY_CODE_COUNT = 10;
/**
 * Wrong recovery codes per account: 10 in a window of 15 minutes, then wrong ones get a 429 and a wait. A
 * backstop only: NIST SP 800-63B s5.1.2.2 asks for rate limiting when a look-up secret has fewer than 64 bits;
 * ours have 80, so guessing is hopeless. It never refuses a right code (nor does the 6-digit lock), so someone
 * who has the password cannot lock the owner out of their recovery codes.
 */
export const MAX_RECOVERY_FAILURES = 10;
export const RECOVERY_WINDOW_MS = 15 * 60 * 1000;
/** The security page warns when this many recovery codes or fewer are left. */
export const RECOVERY_CODES_LOW = 3;
/** The security page lists this many of the user's latest events. */
export const RECENT_EVENTS_SHOWN = 20;

/**
 * Codes and links sent by message (services/message-codes.ts). A 6-digit code by email lives 10 minutes and
 * takes 5 attempts (NIST SP 800-63B s5.1.3: out-of-band secrets, a short life and a limited number of
 * attempts); a new one may be sent once a minute and 10 times a day (so at most 50 guesses a day at one in
 * a million each), and it replaces the previous one.
 */
export const MESSAGE_CODE_MS = 10 * 60 * 1000;
export const MAX_MESSAGE_CODE_ATTEMPTS = 5;
export const MESSAGE_RESEND_INTERVAL_MS = 60 * 1000;
export const MAX_MESSAGES_PER_DAY = 10;
/**
 * The email-verification message (a 6-digit code and a link, either one works) works a day: it is checked
 * only for its owner (the code needs the signed-in account; the link carries 256 bits), and people read
 * their mail later than 10 minutes after signing up.
 */
export const VERIFY_EMAIL_MS = 24 * 60 * 60 * 1000;
/** A password-reset link works 30 minutes (OWASP Forgot Password Cheat Sheet: short-lived, single use). */
export const PASSWORD_RESET_MS = 30 * 60 * 1000;

/**
 * Requests per minute an API key may make unless it was created with its own budget (a fixed window of a
 * minute, counted in the database so every instance shares it); beyond it, 429 with Retry-After.
 */
export const DEFAULT_API_REQUESTS_PER_MINUTE = 600;
export const API_BUDGET_WINDOW_MS = 60 * 1000;
/** An API key's last-used time is written at most once a minute, saving a write per request. */
export const API_KEY_TOUCH_INTERVAL_MS = 60 * 1000;
/** The most audit events one API call lists. */
export const API_EVENTS_LISTED = 100;

/**
 * How often a running instance re-reads which master key is current (and records the key ids it holds), so a
 * rotation reaches every instance without a restart. `twofa admin rotate-key` waits twice this long after
 * making a key current before re-sealing, so no instance still seals under the old one.
 */
export const KEY_STATE_POLL_MS = 5_000;
/** An instance whose heartbeat is older than this is taken to have stopped (rotate-key ignores it). */
export const INSTANCE_ALIVE_MS = 3 * KEY_STATE_POLL_MS;
/** Secrets re-sealed per transaction by a rotation. */
export const ROTATION_BATCH_SIZE = 100;
