/**
 * The accounts the code-step loads sign in with, made by the bench's own services on the server's database
 * (before the load, while the server is idle), so that preparing thousands costs no HTTP round trips:
 * - users with 2FA on are made with the suites' cheap argon2 hasher (the server never checks these
 *   passwords: the code step does not hash, and the login storm uses unknown emails, which cost the server's
 *   own OWASP parameters through its dummy hash).
 * - pending sign-ins (the password step done) are made per load, just before it: they live 5 minutes.
 * Honest load: the pool tracks, per user, the wrong codes since the last accepted one (a user gets wrong codes
 * only when that count is 0, at most {@link MAX_WRONG_PER_USER}, below the lock at 10) and the last step whose
 * code was sent (each code is accepted once per user: replay), so that no response is a lock or a replay
 * shortcut. Enrollment is confirmed four steps back, so the code of the current step is still unused.
 */
import { generateTOTP } from '@twofa/otp';
import { deriveToken } from '../src/middleware/csrf/index.ts';
import { openServices } from '../src/services/index.ts';
import type { Services } from '../src/services/types.ts';
import { TEST_PASSWORD_HASHER } from '../test/support/passwords.ts';
import type { TwofaDatabase } from './twofa-server.ts';

/** Below MAX_CODE_ATTEMPTS (5) per pending sign-in and MAX_CODE_FAILURES (10) per user. */
export const MAX_WRONG_PER_USER = 4;
/** RFC 6238's default time step. */
const STEP_MS = 30_000;
const ENROLL_CLOCK_BACK_MS = 4 * STEP_MS;
const PASSWORD = 'bench password, not a secret';
/** Preparation runs this many service calls at once (PostgreSQL has a pool; SQLite serialises them). */
const PREPARE_CONCURRENCY = 8;

export interface BenchUser {
  readonly email: string;
  readonly secret: Uint8Array;
  /** Wrong codes since the last accepted code (counted from responses). */
  wrongSinceReset: number;
  /** The last TOTP step whose code was sent for this user (-1: none). */
  lastRightStep: number;
}

/** One pending sign-in: the cookie value and the form's CSRF token. */
export interface PendingSignIn {
  readonly user: BenchUser;
  readonly cookie: string;
  readonly csrf: string;
}

export interface UserPool {
  readonly users: BenchUser[];
  /** Milliseconds spent making users and pending sign-ins so far. */
  prepareMs: number;
  /** Makes sure the pool has at least `count` users (makes the missing ones). */
  grow(count: number): Promise<void>;
  /** A pending sign-in for each user given (the password step, done by the services). */
  signIn(users: readonly BenchUser[]): Promise<PendingSignIn[]>;
  close(): Promise<void>;
}

export function stepOf(nowMs: number): number {
  return Math.floor(nowMs / STEP_MS);
}

export async function openUserPool(database: TwofaDatabase): Promise<UserPool> {
  let clockBackMs = 0;
  const services: Services = await openServices(database.config, {
    nowMs: () => Date.now() - clockBackMs,
    passwordHasher: TEST_PASSWORD_HASHER,
    log: () => {},
  });
  const users: BenchUser[] = [];
  let made = 0;
  const pool: UserPool = {
    users,
    prepareMs: 0,
    async grow(count) {
      const missing = count - users.length;
      if (missing <= 0) return;
      const started = performance.now();
      clockBackMs = ENROLL_CLOCK_BACK_MS;
      try {
        const fresh = await mapConcurrent(Array.from({ length: missing }), async () => {
          made += 1;
          const email = `bench-${process.pid}-${made}@example.com`;
          // The sign-up pages' path (register: no enumeration), then a password sign-in for the session.
          await services.accounts.register({ email, password: PASSWORD });
          const signedIn = await services.auth.login({ email, password: PASSWORD });
          if (signedIn.kind !== 'full') throw new Error(`bench: ${email} is not a new account`);
          const issued = signedIn.issued;
          const userId = issued.session.userId;
          const { secret } = await services.totp.beginEnrollment(userId);
          const code = generateTOTP({ secret, nowMs: Date.now() - clockBackMs });
          await services.totp.confirmEnrollment({ userId, password: PASSWORD, code });
          await services.auth.logout(issued.token);
          return { email, secret, wrongSinceReset: 0, lastRightStep: -1 } satisfies BenchUser;
        });
        users.push(...fresh);
      } finally {
        clockBackMs = 0;
      }
      pool.prepareMs += performance.now() - started;
    },
    async signIn(chosen) {
      const started = performance.now();
      const pending = await mapConcurrent(chosen, async (user) => {
        const result = await services.auth.login({ email: user.email, password: PASSWORD });
        if (result.kind !== 'pending') throw new Error(`bench: ${user.email} signed in without 2FA`);
        const cookie = result.issued.token;
        return { user, cookie, csrf: deriveToken(cookie) };
      });
      pool.prepareMs += performance.now() - started;
      return pending;
    },
    close: () => services.close(),
  };
  return pool;
}

/** The code an authenticator shows for the user now. */
export function rightCode(user: BenchUser, nowMs: number): string {
  return generateTOTP({ secret: user.secret, nowMs });
}

/** A code wrong in every step of the +-1 window around now. */
export function wrongCode(user: BenchUser, nowMs: number): string {
  const window = [-1, 0, 1].map((offset) => rightCode(user, nowMs + offset * STEP_MS));
  for (let n = 0; ; n++) {
    const candidate = String((Number(window[1]) + 1 + n) % 1_000_000).padStart(6, '0');
    if (!window.includes(candidate)) return candidate;
  }
}

async function mapConcurrent<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PREPARE_CONCURRENCY, items.length) }, worker));
  return results;
}
