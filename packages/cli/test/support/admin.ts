/**
 * For the `twofa admin` suites: a database made by the server's own services (on every dialect), the
 * environment twofa serve would be given for it, and `admin(...)` to run a subcommand in-process.
 */
import type { Config } from '../../../server/src/config.ts';
import type { Services } from '../../../server/src/services/types.ts';
import {
  makeClock,
  openTestServices,
  type TestClock,
  type TestDialect,
} from '../../../server/test/support/dialects.ts';
import { run } from '../../src/run.ts';
import { memoryIO } from './memory-io.ts';

export interface AdminDatabase {
  readonly config: Config;
  readonly services: Services;
  readonly clock: TestClock;
  /** The TWOFA_* settings twofa serve would read for this database. */
  readonly env: Record<string, string>;
}

/** A fresh database on `dialect`, opened by the server's services (migrated, with a master key). */
export async function adminDatabase(
  dialect: TestDialect,
  env: Record<string, string> = {},
): Promise<AdminDatabase> {
  const config = await dialect.makeConfig(env);
  // Near the real time (one second into a TOTP step): the command reads the real clock, and a lock the
  // services start must still be running when it looks.
  const clock = makeClock(Math.floor(Date.now() / 30_000) * 30_000 + 1_000);
  const { services } = await openTestServices(config, clock);
  return { config, services, clock, env: serveEnv(config) };
}

/** The environment twofa serve would be given for `config`. */
export function serveEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = { TWOFA_DATA_DIR: config.dataDir };
  if (config.databaseUrl !== undefined) env.TWOFA_DATABASE_URL = config.databaseUrl;
  if (config.masterKey !== undefined) env.TWOFA_MASTER_KEY = config.masterKey;
  return env;
}

export interface AdminRun {
  status: number;
  stdout: string;
  stderr: string;
  /** The questions asked at the (pretend) terminal. */
  questions: string[];
}

/**
 * `twofa admin ...args` in-process. Without `answer` there is no terminal (as from a script); with it, each
 * question is answered so.
 */
export async function admin(
  args: string[],
  env: Record<string, string>,
  options: { answer?: boolean } = {},
): Promise<AdminRun> {
  const memory = memoryIO({ env });
  const questions: string[] = [];
  if (options.answer !== undefined) {
    const answer = options.answer;
    memory.io.confirm = async (question) => {
      questions.push(question);
      return answer;
    };
  }
  const status = await run(['admin', ...args], memory.io);
  return { status, stdout: memory.stdout(), stderr: memory.stderr(), questions };
}
