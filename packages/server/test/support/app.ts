/**
 * An in-process app over real services on a fresh database, with a clock the test moves. Used by the route,
 * middleware-integration and security suites: `const t = await makeTestApp()` then drive `t.app.request()`
 * (usually through the Browser in ./client.ts).
 */
import type { Hono } from 'hono';
import { createApp } from '../../src/app.ts';
import type { Config } from '../../src/config.ts';
import type { AppEnv } from '../../src/context.ts';
import type { PasswordHasher } from '../../src/crypto/passwords.ts';
import { openServices } from '../../src/services/index.ts';
import type { PasswordPoolOptions } from '../../src/services/password-pool.ts';
import type { Services } from '../../src/services/types.ts';
import { DIALECTS, type TestDialect } from './dialects.ts';
import { TEST_PASSWORD_HASHER } from './passwords.ts';

/** A fixed start (2031-01-01T00:00:00Z, the first second of a TOTP step) so runs are reproducible. */
export const START_MS = Date.UTC(2031, 0, 1);

export interface Clock {
  now(): number;
  advance(ms: number): void;
}

export function makeClock(startMs = START_MS): Clock {
  let now = startMs;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

export interface TestApp {
  readonly app: Hono<AppEnv>;
  readonly services: Services;
  readonly config: Config;
  readonly clock: Clock;
  /** Every JSON line the app and services logged, in order. */
  readonly logs: string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** @default the SQLite dialect */
  readonly dialect?: TestDialect;
  /** Extra TWOFA_* variables (for example TWOFA_PUBLIC_URL=https://... for secure cookies). */
  readonly env?: Record<string, string>;
  /** Reuse an existing config (two apps on one PostgreSQL database). */
  readonly config?: Config;
  readonly clock?: Clock;
  /** Hears the SQL text of every statement the services run (statement-count tests). */
  readonly onQuery?: (sql: string) => void;
  /** @default TEST_PASSWORD_HASHER */
  readonly passwordHasher?: PasswordHasher;
  /** The password pool's settings (a small pool and a hand-fired wait, to make it full). */
  readonly passwordPool?: PasswordPoolOptions;
}

export const PUBLIC_URL = 'http://twofa.test';

export async function makeTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dialect = options.dialect ?? DIALECTS[0]!;
  const config =
    options.config ??
    (await dialect.makeConfig({ TWOFA_PUBLIC_URL: PUBLIC_URL, TWOFA_LOG: '1', ...(options.env ?? {}) }));
  const clock = options.clock ?? makeClock();
  const logs: string[] = [];
  const log = (line: string) => {
    logs.push(line);
  };
  const services = await openServices(config, {
    nowMs: clock.now,
    log,
    passwordHasher: options.passwordHasher ?? TEST_PASSWORD_HASHER,
    ...(options.passwordPool === undefined ? {} : { passwordPool: options.passwordPool }),
    ...(options.onQuery === undefined ? {} : { onQuery: options.onQuery }),
  });
  const app = createApp({ config, services, log, nowMs: clock.now });
  return { app, services, config, clock, logs, close: () => services.close() };
}
