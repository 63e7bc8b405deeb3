/**
 * The systems `npm run bench:server` compares, each a name and a load. Rows are what the table shows: most
 * systems give one, the login storm two (the storm itself and the cheap route beside it).
 */
import { randomBytes } from 'node:crypto';
import { generateTOTP } from '@twofa/otp';
import { deriveToken, PRE_SESSION_COOKIE } from '../src/middleware/csrf/index.ts';
import { SESSION_COOKIE } from '../src/middleware/session/index.ts';
import {
  type BenchUser,
  MAX_WRONG_PER_USER,
  type PendingSignIn,
  rightCode,
  stepOf,
  type UserPool,
  wrongCode,
} from './accounts.ts';
import { type LoadRequest, type Measurement, runLoad } from './load.ts';

export interface LoadSettings {
  readonly connections: number;
  readonly durationSeconds: number;
  /** Paced at this many req/s (the p99 at half the maximum rate); unset: flat out. */
  readonly overallRate?: number;
  /**
   * Awaited once the round's preparation is done, just before its load (each `runLoad` calls it): the
   * bench's probe of the server starts its period there, so the server's idle time while the bench prepares
   * sign-ins is not counted.
   */
  readonly beforeLoad?: () => Promise<unknown>;
}

export interface System {
  readonly name: string;
  /** Prepares (not timed) and runs one round; returns a measurement per row name. */
  runRound(settings: LoadSettings): Promise<Record<string, Measurement>>;
}

const FORM = 'application/x-www-form-urlencoded';
/** Until a first round measures the rate, supplies are sized for this many req/s. */
const FIRST_GUESS_RPS = 500;
/** Supplies are sized for the highest rate measured so far plus this margin (rounds vary by a third here). */
const SUPPLY_MARGIN = 1.6;

/** A server answering a form POST /verify with 302: bare node:http or Flask; `code` gives the field. */
export function formPostSystem(name: string, url: string, code: () => string): System {
  return {
    name,
    async runRound(settings) {
      const measurement = await runLoad({
        ...settings,
        url,
        next: () => ({
          method: 'POST',
          path: '/verify',
          headers: { 'content-type': FORM },
          body: `code=${code()}`,
        }),
      });
      return { [name]: measurement };
    },
  };
}

/** A fixed GET (twofa's /healthz), on the run's connections or on as many as `connections` says. */
export function getSystem(name: string, url: string, path: string, connections?: number): System {
  return {
    name,
    async runRound(settings) {
      const measurement = await runLoad({
        ...settings,
        ...(connections === undefined ? {} : { connections }),
        url,
        next: () => ({ method: 'GET', path }),
      });
      return { [name]: measurement };
    },
  };
}

/** The code an authenticator shows now, computed once per step (the Flask peer's right code). */
export function currentCodeOf(secret: Uint8Array): () => string {
  let step = -1;
  let code = '';
  return () => {
    const now = Date.now();
    if (stepOf(now) !== step) {
      step = stepOf(now);
      code = generateTOTP({ secret, nowMs: now });
    }
    return code;
  };
}

interface CodeStepOptions {
  readonly name: string;
  readonly url: string;
  readonly pool: UserPool;
  readonly kind: 'wrong' | 'right';
}

/**
 * POST /login/code with pending sign-ins made just before the load. Wrong: up to MAX_WRONG_PER_USER wrong
 * codes per pending sign-in, each user at most that many since its last accepted code, one attempt of every
 * sign-in before the next. Right: each user's current code, once per step, each sign-in once.
 */
export function codeStepSystem(options: CodeStepOptions): System {
  const { name, url, pool, kind } = options;
  let highestRps = FIRST_GUESS_RPS;
  const headersFor = (signIn: PendingSignIn) => ({
    'content-type': FORM,
    origin: url,
    cookie: `${SESSION_COOKIE}=${signIn.cookie}`,
  });
  return {
    name,
    async runRound(settings) {
      const wanted = Math.ceil(highestRps * settings.durationSeconds * SUPPLY_MARGIN);
      const perSignIn = kind === 'wrong' ? MAX_WRONG_PER_USER : 1;
      const count = Math.ceil(wanted / perSignIn);
      const usable = (user: BenchUser) =>
        kind === 'wrong' ? user.wrongSinceReset === 0 : user.lastRightStep < stepOf(Date.now());
      let chosen = pool.users.filter(usable);
      if (chosen.length < count) {
        await pool.grow(pool.users.length + count - chosen.length);
        chosen = pool.users.filter(usable);
      }
      // The right path signs in users with wrong codes first: their accepted code resets their count.
      if (kind === 'right') chosen.sort((a, b) => b.wrongSinceReset - a.wrongSinceReset);
      const signIns = await pool.signIn(chosen.slice(0, count));
      const supply: Array<() => LoadRequest> = [];
      for (let attempt = 0; attempt < perSignIn; attempt++) {
        for (const signIn of signIns) {
          supply.push(() => {
            const now = Date.now();
            const { user } = signIn;
            let code: string;
            if (kind === 'wrong') {
              code = wrongCode(user, now);
              user.wrongSinceReset += 1;
            } else {
              code = rightCode(user, now);
              user.lastRightStep = stepOf(now);
            }
            const body = `code=${code}&csrf=${encodeURIComponent(signIn.csrf)}`;
            return { method: 'POST', path: '/login/code', headers: headersFor(signIn), body, tag: user };
          });
        }
      }
      let sent = 0;
      const measurement = await runLoad({
        ...settings,
        url,
        amount: supply.length,
        next: () => supply[sent++]?.(),
        onStatus: (status, tag) => {
          if (kind === 'right' && status === 303) (tag as BenchUser).wrongSinceReset = 0;
        },
      });
      highestRps = Math.max(highestRps, measurement.requestsPerSecond);
      return { [name]: measurement };
    },
  };
}

/**
 * A login storm: POST /login with unknown emails (each once, so no email reaches the password limit), each
 * costing the server a full argon2 with its own parameters (its dummy hash), while GET /healthz runs beside
 * it on its own connections: the cheap route's p99 shows whether hashing starves everything else. The password
 * pool answers what it cannot queue with 503 (Retry-After): the storm's status mix shows how much.
 */
/** The cheap route beside the storm runs on one connection: its latency, not its throughput, is the point. */
export const BESIDE_CONNECTIONS = 1;

export function loginStormSystem(name: string, url: string, healthzRow: string, pageRow?: string): System {
  let counter = 0;
  return {
    name,
    async runRound(settings) {
      const storm = runLoad({
        ...settings,
        url,
        next: () => {
          counter += 1;
          const preSession = randomBytes(32).toString('base64url');
          const email = `storm-${process.pid}-${counter}@example.com`;
          const form = new URLSearchParams({
            email,
            password: 'not the password',
            csrf: deriveToken(preSession),
          });
          return {
            method: 'POST',
            path: '/login',
            headers: { 'content-type': FORM, origin: url, cookie: `${PRE_SESSION_COOKIE}=${preSession}` },
            body: form.toString(),
          };
        },
      });
      const beside = runLoad({
        connections: BESIDE_CONNECTIONS,
        durationSeconds: settings.durationSeconds,
        url,
        next: () => ({ method: 'GET', path: '/healthz' }),
      });
      // A page beside it too (the pages' middleware and a rendered view, no password): what a person waits for.
      const page =
        pageRow === undefined
          ? undefined
          : runLoad({
              connections: BESIDE_CONNECTIONS,
              durationSeconds: settings.durationSeconds,
              url,
              next: () => ({ method: 'GET', path: '/login' }),
            });
      const [stormMeasurement, besideMeasurement, pageMeasurement] = await Promise.all([storm, beside, page]);
      return {
        [name]: stormMeasurement,
        [healthzRow]: besideMeasurement,
        ...(pageRow === undefined || pageMeasurement === undefined ? {} : { [pageRow]: pageMeasurement }),
      };
    },
  };
}
