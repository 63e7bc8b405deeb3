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
 * The long-horizon budget of 6-digit code checks per user, which an accepted code does not reset (issue #10):
 * the short-term lock above alone lets someone with the password spend 10 guesses after each of the owner's
 * sign-ins for ever (21,900 a year measured, a 6.4% chance at a code). A token bucket of 30 checks (three
 * short-term locks), one back every 36 hours (20 per 30 days, full again 45 days after it was spent); a check is taken before the code is compared and given back when the code
 * was right or already used, so only wrong codes spend it. When it is empty, 6-digit codes are refused
 * (429) until a check comes back; recovery codes are not 6-digit and keep working.
 *
 * The year, computed: at most 30 + 365 days / 36 hours = 30 + 243 = 273 wrong codes are compared in any 365
 * days, whatever the pace, the number of client addresses or of instances. A guess passes when it equals one
 * of the values accepted per guess: 2w + 1 for the app's codes (TWOFA_TOTP_WINDOW w, at most 10: 21 values),
 * 11 for a hardware token's look-ahead, 1 for a code by message. Worst case 273 x 21 / 10^6 = 0.57% (under
 * 1% with a margin of 1.7x); with the default window (3 values) 0.08%; a hardware token 0.30%. test/security/guess-budget-year.test.ts drives
 * the year and asserts the bound from the checks the service actually made.
 */
export const CODE_BUDGET_CAPACITY = 30;
export const CODE_BUDGET_REFILL_MS = 36 * 60 * 60 * 1000;
/** The most values one 6-digit guess is compared with, over every 6-digit factor (TOTP at its widest). */
export const MAX_VALUES_PER_SIX_DIGIT_GUESS = 21;
/**
 * A code check in flight (reserved, being compared) counts against the short-term limit until it is decided;
 * if its process stops first, it stops counting once no check was reserved for a minute (far beyond any
 * request: statements time out after seconds).
 */
export const CODE_CHECK_LEASE_MS = 60 * 1000;
/**
 * A check refused only because the limit's other slots are in flight (not a lock, not the budget) waits and
 * tries again, about every 20 ms for up to 5 seconds (then 503, busy): racing replays of a used code are given
 * back as they are decided, and must not turn away the request behind them.
 */
export const CODE_CHECK_RETRY_MS = 20;
export const CODE_CHECK_MAX_WAIT_MS = 5000;
/** What that busy answer asks the client to wait (Retry-After). */
export const CODE_CHECK_BUSY_RETRY_MS = 1000;

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

/**
 * Trusted devices (services/devices.ts). A remembered browser skips the second step for 30 days from when
 * it was trusted (the usual "remember this device for 30 days" of major services; NIST SP 800-63B s7.1
 * allows a remembered device to stand in for the second factor only for a bounded time, and never for the
 * password). The cookie's Max-Age is the time left.
 */
export const DEVICE_TRUST_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * A rotated-out device token presented again within this long of its rotation is taken for the owner's own
 * double submit (two tabs, a retried request racing the rotation): it only falls back to asking for the code.
 * Later it is taken for a copy (theft): the device is revoked and the owner told. A minute covers a retry or
 * a second tab; a thief presenting a copy within a minute of the owner's own use still gains nothing (the
 * code is asked for).
 */
export const DEVICE_ROTATION_GRACE_MS = 60 * 1000;
/**
 * Wrong passwords typed on a trusted device: 10 since the last right one typed on it, counted against the
 * device, which is exempt from the per-email limit (OWASP "Slow brute force protection with device
 * cookies"). A device that reaches it is not trusted until the right password is typed on it: it is then
 * subject to the per-email limit like any other client, and its sign-ins ask for the second step. No window
 * that refills: every guess the device is allowed is one on top of the email's limit, so a copy of its
 * cookie must not get 10 more every 15 minutes (960 a day) while the owner is away; it gets 10 in all.
 */
export const MAX_DEVICE_PASSWORD_FAILURES = 10;

/**
 * Hardware tokens (OATH-HOTP, RFC 4226). Sign-in accepts the next code or one up to HOTP_LOOK_AHEAD presses
 * ahead (RFC 4226 s7.4, the look-ahead parameter `s`: a press that never reached us, a child playing with the
 * button): the expected counter and the 10 after it, so one guess may match HOTP_VALUES_PER_GUESS = 11 codes
 * (odds 11 in 10^6, against 3 in 10^6 for the app's +-1 window). This is the worst 6-digit factor: the
 * long-horizon budget (services/throttle.ts) is sized for it.
 */
export const HOTP_LOOK_AHEAD = 10;
export const HOTP_VALUES_PER_GUESS = HOTP_LOOK_AHEAD + 1;
/**
 * A token pressed further than that is resynchronised with two consecutive codes found within this many
 * counter values after the expected one (RFC 4226 s7.4: a larger window made safe by asking two codes; a
 * random pair matches one of 1001 places with odds about 10^-9). Registration searches the same range from 0
 * (or the URI's counter): a new token may have been pressed a few hundred times in its box or by its tester.
 */
export const HOTP_RESYNC_LOOK_AHEAD = 1000;
/**
 * How far back a hardware-token code is recognised as already used (a replay, answered "already used" and not
 * counted as a guess, issue #10): the counters a sign-in can have used or passed over, the look-ahead's 11
 * values before the expected one. Further back a code is just wrong (counted): a replay that old is a guess
 * that cannot pass either way, and the look-back costs one HMAC per value.
 */
export const HOTP_REPLAY_LOOK_BACK = HOTP_VALUES_PER_GUESS;
/**
 * The highest counter a token's otpauth://hotp URI may start at: 2^48, a press a second for 8.9 million years.
 * The counter is stored and computed as a JavaScript number; a URI starting it near 2^53 would push it out of
 * the safe integers within one sign-in, and every sign-in after would fail. Far above any real token.
 */
export const HOTP_MAX_START_COUNTER = 2 ** 48;

/**
 * Clock-skew learning for the app (TOTP): when the last TOTP_SKEW_AGREEING accepted codes all came from the
 * same step offset (the phone's clock is steadily that many 30-second steps off), a window of
 * TWOFA_TOTP_WINDOW steps either side is centred there, keeping its width. The centre stays within
 * TOTP_MAX_SKEW_STEPS of now (5 minutes): a phone further off than that is wrong, not drifting, and is better
 * set right. The nominal window around now stays open beside it, so a phone whose clock is set right all at
 * once (phones sync their clock) is still accepted, and its codes move the centre back by the same rule;
 * without it, that routine event would lock the owner out. The price: with a learned offset, one guess
 * matches at most 2 x (2w+1) steps (6 at the default w = 1; the windows overlap when the offset is 2w or less),
 * still below the HOTP_VALUES_PER_GUESS = 11 of a hardware token, which the long-horizon budget is sized for.
 */
export const TOTP_SKEW_AGREEING = 3;
export const TOTP_MAX_SKEW_STEPS = 10;
