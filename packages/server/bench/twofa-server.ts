/**
 * twofa under test: `node src/main.ts` as a child on a free port, with a fresh database (SQLite in a new
 * temporary directory, or a new PostgreSQL schema chosen with `search_path`), TWOFA_LOG=0 and a random
 * master key. `config` is the same configuration, for the bench's own services (account preparation).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Config, loadConfig } from '../src/config.ts';
import { type RunningChild, startChild } from './child.ts';
import type { CpuGroup } from './cpu-quota.ts';
import { findFreePort } from './free-port.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export type DialectName = 'sqlite' | 'postgres';

export interface TwofaDatabase {
  readonly dialect: DialectName;
  readonly env: Record<string, string>;
  readonly config: Config;
  /** Drops the schema or removes the directory. */
  drop(): Promise<void>;
}

/** A fresh, empty database for one system: nothing shared with the tests or another run. */
export async function createDatabase(
  dialect: DialectName,
  pgUrl: string | undefined,
  /** More TWOFA_* variables (e.g. TWOFA_SQLITE_SYNCHRONOUS). */
  extraEnv: Record<string, string> = {},
): Promise<TwofaDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'twofa-bench-'));
  const port = await findFreePort();
  const env: Record<string, string> = {
    TWOFA_HOST: '127.0.0.1',
    TWOFA_PORT: String(port),
    TWOFA_DATA_DIR: dir,
    TWOFA_LOG: '0',
    // One process unless a system asks for more (TWOFA_WORKERS defaults to the number of cores).
    TWOFA_WORKERS: '1',
    TWOFA_MASTER_KEY: randomBytes(32).toString('base64'),
    // Empty counts as unset: nothing from the caller's shell (a database URL, a public URL) leaks in.
    TWOFA_DATABASE_URL: '',
    TWOFA_PUBLIC_URL: '',
    // The load comes from one address: the per-client budget would answer nearly all of it with 429.
    TWOFA_CLIENT_REQUESTS_PER_MINUTE: '0',
    // Read only by bench/loop-probe-install.ts, when the child is started with it (bench/loop-probe.ts).
    TWOFA_BENCH_LOOP_PROBE: join(dir, 'loop-probe.jsonl'),
    ...extraEnv,
  };
  let schema: string | undefined;
  if (dialect === 'postgres') {
    if (pgUrl === undefined) throw new Error('postgres: TWOFA_TEST_PG_URL is not set');
    schema = `twofa_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
    await withClient(pgUrl, (client) => client.query(`create schema ${schema}`));
    const url = new URL(pgUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    env.TWOFA_DATABASE_URL = url.href;
    // Every system stays up for the whole run (rounds interleave): 10 PostgreSQL processes (single, workers,
    // 1 + 2 + 3 instances) and the user pools at the default 10 each would pass max_connections (100 here),
    // and the refused connections show up as 503s. 4 each keeps 16 connections busy and the sum near 60.
    env.TWOFA_DATABASE_POOL_SIZE ??= '4';
  }
  return {
    dialect,
    env,
    config: loadConfig(env, dir),
    async drop() {
      await rm(dir, { recursive: true, force: true });
      if (schema !== undefined && pgUrl !== undefined) {
        await withClient(pgUrl, (client) => client.query(`drop schema if exists ${schema} cascade`));
      }
    },
  };
}

/** Starts the service on the database's port; ready when it says it is listening. */
export async function startTwofa(
  database: TwofaDatabase,
  /** Node flags before the script (`--cpu-prof --cpu-prof-dir DIR` for a profile). */
  nodeArgs: readonly string[] = [],
  /** A CPU quota the process (and every worker it forks) runs under. */
  cpuGroup?: CpuGroup,
): Promise<RunningChild> {
  const line = { command: process.execPath, args: [...nodeArgs, MAIN] };
  return startChild({
    name: `twofa (${database.dialect})`,
    ...(cpuGroup === undefined ? line : cpuGroup.wrap(line.command, line.args)),
    env: { ...process.env, ...database.env },
    ready: /twofa: listening on /,
  });
}

async function withClient(url: string, use: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await use(client);
  } finally {
    await client.end();
  }
}
