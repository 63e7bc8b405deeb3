/**
 * The bench's scaling systems (issue #12, "every core, many instances"), all on the code step with a wrong
 * code (the full verification and its writes), each on its own database and user pool:
 *   - `--workers 1` against `--workers 2` (node:cluster), on SQLite and on PostgreSQL;
 *   - 1, 2 and 3 instances (one process each) behind Debian nginx (the README's recipe) on one PostgreSQL
 *     schema, one nginx per count, so that the three rows share users and database.
 * Ratios are of medians within this run: workers 2 / workers 1, and N instances / 1 instance. nginx is
 * skipped with a line when missing, PostgreSQL when TWOFA_TEST_PG_URL is unset.
 * With `coreShare` set, each system runs in a cgroup limited to N x coreShare of a core for its N processes
 * (bench/cpu-quota.ts: emulated cores, so that the machine's own cores are not what the ratio measures).
 */
import { freePort, nginxMissing, type RunningNginx, startNginx } from '../test/support/nginx.ts';
import { openUserPool, type UserPool } from './accounts.ts';
import type { RunningChild } from './child.ts';
import { type CpuGroup, createCpuGroup } from './cpu-quota.ts';
import type { Measurement } from './load.ts';
import { median } from './report.ts';
import { codeStepSystem, type System } from './systems.ts';
import { createDatabase, type DialectName, startTwofa, type TwofaDatabase } from './twofa-server.ts';

export interface ScalingContext {
  readonly pgUrl: string | undefined;
  /** The run's lists: systems and rows are appended; children and databases are stopped and dropped by it. */
  readonly systems: System[];
  readonly rowOrder: string[];
  readonly children: RunningChild[];
  readonly databases: TwofaDatabase[];
  readonly skipped: string[];
  /** Cores each serving process gets (a CPU quota), or undefined to run unconstrained. */
  readonly coreShare: number | undefined;
  /** The run's CPU groups: appended here, removed by the run once every child has stopped. */
  readonly cpuGroups: CpuGroup[];
}

export interface Scaling {
  /** "workers 2 / workers 1" and "N instances / 1" lines from the run's medians. */
  ratios(measured: ReadonlyMap<string, readonly Measurement[]>): string[];
  close(): Promise<void>;
}

const INSTANCE_COUNTS = [1, 2, 3] as const;

const workersRow = (dialect: DialectName, workers: number) =>
  `twofa ${dialect} --workers ${workers}: code step, wrong code`;
const instancesRow = (count: number) =>
  `twofa postgres, ${count} instance${count === 1 ? '' : 's'} behind nginx: code step, wrong code`;

/** Starts the scaling systems and registers them in the run. */
export async function addScalingSystems(context: ScalingContext): Promise<Scaling> {
  const pools: UserPool[] = [];
  const proxies: RunningNginx[] = [];
  const dialects: DialectName[] = context.pgUrl === undefined ? ['sqlite'] : ['sqlite', 'postgres'];

  /** The CPU quota of a system of `processes` processes (undefined when running unconstrained). */
  const cpuGroup = (name: string, processes: number) => {
    if (context.coreShare === undefined) return undefined;
    const group = createCpuGroup(name, processes * context.coreShare);
    context.cpuGroups.push(group);
    return group;
  };

  const database = async (dialect: DialectName, workers: number) => {
    const made = await createDatabase(dialect, context.pgUrl);
    context.databases.push(made);
    const withWorkers = { ...made, env: { ...made.env, TWOFA_WORKERS: String(workers) } };
    const pool = await openUserPool(withWorkers);
    pools.push(pool);
    return { database: withWorkers, pool };
  };

  for (const dialect of dialects) {
    for (const workers of [1, 2]) {
      const { database: db, pool } = await database(dialect, workers);
      context.children.push(await startTwofa(db, [], cpuGroup(`${dialect}-workers-${workers}`, workers)));
      const name = workersRow(dialect, workers);
      context.systems.push(codeStepSystem({ name, url: db.config.publicUrl, pool, kind: 'wrong' }));
      context.rowOrder.push(name);
    }
  }

  const nginxSkip = context.pgUrl === undefined ? 'needs TWOFA_TEST_PG_URL' : nginxMissing();
  if (nginxSkip !== undefined) {
    context.skipped.push(`twofa instances behind nginx: skipped (${nginxSkip})`);
  } else {
    // One schema and one user pool for the three rows; each nginx has its own instances, since the public URL
    // (the CSRF origin) names the proxy's port.
    const { database: shared, pool } = await database('postgres', 1);
    for (const count of INSTANCE_COUNTS) {
      const proxyPort = await freePort();
      const publicUrl = `http://127.0.0.1:${proxyPort}`;
      const upstreams: string[] = [];
      // One quota for the N instances together: N emulated cores.
      const group = cpuGroup(`instances-${count}`, count);
      for (let i = 0; i < count; i++) {
        const port = await freePort();
        const env = { ...shared.env, TWOFA_PORT: String(port), TWOFA_PUBLIC_URL: publicUrl };
        context.children.push(await startTwofa({ ...shared, env }, [], group));
        upstreams.push(`127.0.0.1:${port}`);
      }
      proxies.push(await startNginx(upstreams, proxyPort));
      const name = instancesRow(count);
      context.systems.push(codeStepSystem({ name, url: publicUrl, pool, kind: 'wrong' }));
      context.rowOrder.push(name);
    }
  }

  return {
    ratios(measured) {
      const rate = (row: string) => {
        const rounds = measured.get(row);
        return rounds === undefined || rounds.length === 0
          ? undefined
          : median(rounds.map((m) => m.requestsPerSecond));
      };
      const ratio = (row: string, base: string) => {
        const [a, b] = [rate(row), rate(base)];
        return a === undefined || b === undefined ? undefined : `x${(a / b).toFixed(2)}`;
      };
      const lines: string[] =
        context.coreShare === undefined
          ? [
              "scaling rows unconstrained: every process shares the machine's cores with the load and the database",
            ]
          : [
              `scaling rows on emulated cores: N processes limited to N x ${context.coreShare} of a core together ` +
                '(cgroup CPU quota), the rest of the machine left to the load generator and the database',
            ];
      for (const dialect of dialects) {
        const r = ratio(workersRow(dialect, 2), workersRow(dialect, 1));
        if (r !== undefined) lines.push(`${dialect}: --workers 2 / --workers 1 = ${r}`);
      }
      for (const count of INSTANCE_COUNTS.slice(1)) {
        const r = ratio(instancesRow(count), instancesRow(1));
        if (r !== undefined) lines.push(`postgres behind nginx: ${count} instances / 1 instance = ${r}`);
      }
      return lines;
    },
    async close() {
      await Promise.allSettled(proxies.map((proxy) => proxy.stop()));
      await Promise.allSettled(pools.map((pool) => pool.close()));
    },
  };
}
