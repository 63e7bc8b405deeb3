/**
 * Real twofa processes for the worker and many-instance suites: `node src/main.ts` as a child with its own
 * environment, ready once it prints its URL; its JSON log lines (stdout) kept and parsed; stopped with a
 * signal (SIGTERM: graceful) or SIGKILL. Plus what the load needs: people waiting at the code step (made by the
 * suite's own services on the same database, cheap hasher) and the code-step request as a browser sends it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { generateTOTP } from '@twofa/otp';
import type { Config } from '../../src/config.ts';
import { deriveToken } from '../../src/middleware/csrf/index.ts';
import { SESSION_COOKIE } from '../../src/middleware/session/index.ts';
import type { Services } from '../../src/services/types.ts';
import { signUpWithTotp, type TestClock } from './dialects.ts';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;
const READY_TIMEOUT_MS = 30_000;

export interface Instance {
  readonly child: ChildProcess;
  /** The URL it printed (its own port). */
  readonly url: string;
  /** Its JSON log lines so far, parsed. */
  events(): Record<string, unknown>[];
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Sends `signal` and waits for the exit; resolves with the exit code (null when a signal ended it). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node src/main.ts` with exactly `env` (and PATH); resolves once it listens. */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not listening after ${READY_TIMEOUT_MS} ms: ${stderr}`)),
      READY_TIMEOUT_MS,
    );
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stderr.on('data', check);
    void exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(new Error(`exited (${signal ?? code}) before listening: ${stderr}`));
    });
  });
  return {
    child,
    url,
    events: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code] = await exited;
      return code;
    },
  };
}

/** The environment that makes a server use `config`'s database and key (as the suites' services do). */
export function databaseEnv(config: Config): Record<string, string> {
  return {
    TWOFA_DATA_DIR: config.dataDir,
    ...(config.databaseUrl === undefined ? {} : { TWOFA_DATABASE_URL: config.databaseUrl }),
    ...(config.masterKey === undefined ? {} : { TWOFA_MASTER_KEY: config.masterKey }),
  };
}

/** True while a process with this pid exists. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Someone at the code step: the password step done (by the services), the cookie and the form's token. */
export interface AtCodeStep {
  readonly secret: Uint8Array;
  readonly token: string;
  readonly csrf: string;
}

/** The services' clock for {@link userAtCodeStep}: 4 steps back, so the code of now is still unused. */
export const ENROLL_BACK_MS = 4 * 30_000;

/**
 * A user with 2FA on, enrolled by `services` on `clock` set ENROLL_BACK_MS behind now (so the code of now is
 * still unused), and `count` pending sign-ins of theirs (each its own session, as from `count` browsers).
 * Not concurrently: it sets the shared clock.
 */
export async function userAtCodeStep(
  services: Services,
  clock: TestClock,
  count: number,
): Promise<AtCodeStep[]> {
  clock.set(Date.now() - ENROLL_BACK_MS);
  const user = await signUpWithTotp(services, clock);
  clock.set(Date.now() - ENROLL_BACK_MS);
  const out: AtCodeStep[] = [];
  for (let i = 0; i < count; i++) {
    const result = await services.auth.login({ email: user.email, password: user.password });
    if (result.kind !== 'pending') throw new Error('expected a pending sign-in');
    out.push({ secret: user.secret, token: result.issued.token, csrf: deriveToken(result.issued.token) });
  }
  return out;
}

/** A code that is wrong in every step of the window around now. */
export function wrongCodeFor(secret: Uint8Array): string {
  const now = Date.now();
  const window = [-1, 0, 1].map((offset) => generateTOTP({ secret, nowMs: now + offset * 30_000 }));
  for (let n = 1; ; n++) {
    const code = String((Number(window[1]) + n) % 1_000_000).padStart(6, '0');
    if (!window.includes(code)) return code;
  }
}

export interface CodeStepAnswer {
  readonly status: number;
  /** The new session's token when the code was accepted (303 to /). */
  readonly fullToken: string | undefined;
}

/**
 * POST /login/code as the browser at the code step sends it to `url` (an instance, or the proxy in front),
 * with `origin` the public URL; `code` defaults to the current right code. A request that gets no answer
 * within `timeoutMs` rejects (a hang is a failure, not a slow test).
 */
export async function submitCode(
  url: string,
  origin: string,
  at: AtCodeStep,
  code = generateTOTP({ secret: at.secret, nowMs: Date.now() }),
  timeoutMs = 15_000,
): Promise<CodeStepAnswer> {
  const response = await fetch(`${url}/login/code`, {
    method: 'POST',
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin,
      cookie: `${SESSION_COOKIE}=${at.token}`,
    },
    body: new URLSearchParams({ code, csrf: at.csrf }).toString(),
  });
  await response.arrayBuffer();
  const cookie = response.headers
    .getSetCookie()
    .find((line) => line.startsWith(`${SESSION_COOKIE}=`) && !/max-age=0/i.test(line));
  const fullToken =
    response.status === 303 ? cookie?.slice(SESSION_COOKIE.length + 1).split(';')[0] : undefined;
  return { status: response.status, fullToken };
}

/** Tallies statuses: { "303": 12, "401": 30 }. */
export function countStatuses(answers: readonly { status: number }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/**
 * {@link submitCode} from another local address (any of 127.0.0.0/8 on Linux: a client that is not the proxy),
 * with extra request headers (a forged X-Forwarded-For); node:http, since fetch cannot pick its local address.
 */
export async function submitCodeFrom(
  localAddress: string,
  url: string,
  origin: string,
  at: AtCodeStep,
  headers: Record<string, string> = {},
): Promise<CodeStepAnswer> {
  const body = new URLSearchParams({
    code: generateTOTP({ secret: at.secret, nowMs: Date.now() }),
    csrf: at.csrf,
  }).toString();
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = httpRequest(`${url}/login/code`, {
      method: 'POST',
      localAddress,
      timeout: 15_000,
      headers: {
        ...headers,
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(Buffer.byteLength(body)),
        origin,
        cookie: `${SESSION_COOKIE}=${at.token}`,
      },
    });
    request.on('response', resolve).on('error', reject);
    request.on('timeout', () => request.destroy(new Error('no answer in 15 s')));
    request.end(body);
  });
  response.resume();
  await once(response, 'end');
  const cookie = (response.headers['set-cookie'] ?? []).find(
    (line) => line.startsWith(`${SESSION_COOKIE}=`) && !/max-age=0/i.test(line),
  );
  const fullToken =
    response.statusCode === 303 ? cookie?.slice(SESSION_COOKIE.length + 1).split(';')[0] : undefined;
  return { status: response.statusCode ?? 0, fullToken };
}
