/**
 * `npm run bench:server`: twofa's HTTP service beside its peers, under one client (autocannon, in this
 * process), systems interleaved over rounds, medians reported with ratios to bare node:http (the ceiling)
 * and to the tutorial's Flask app (the peer). Each system is started here on a free local port:
 *   - bare node:http: read a form, answer 302;
 *   - Flask + pyotp under gunicorn -w 2, 1 thread each (skipped with a line when Python or gunicorn lacks);
 *   - twofa on SQLite, and on PostgreSQL when TWOFA_TEST_PG_URL is set: the code step wrong and right,
 *     /healthz, and on SQLite a login storm with the p99 of /healthz beside it.
 * A warm-up pass (1 s each, not recorded) comes first. Options: --rounds N (3), --duration SECONDS per load
 * (4), --connections N (16), --json (JSON to stdout instead of a file under bench/results/), --core-share F
 * (0.3: each scaling row's N processes get N x F of a core by a cgroup CPU quota, bench/cpu-quota.ts; 0 runs
 * them unconstrained; unconstrained too, with a line, where cgroups cannot be written). Run from the
 * repository root: `npm run bench:server`.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeBase32, generateSecret } from '@twofa/otp';
import { openUserPool, type UserPool } from './accounts.ts';
import type { RunningChild } from './child.ts';
import { startChild } from './child.ts';
import { type CpuGroup, cpuQuotaUnavailable } from './cpu-quota.ts';
import { flaskUnavailable, startFlask } from './flask.ts';
import { findFreePort } from './free-port.ts';
import type { Measurement } from './load.ts';
import { createLoopProbe, type LoopProbe, type ProbedRound } from './loop-probe.ts';
import { formatLoopSamples, formatMemory, formatTable, median, summarize } from './report.ts';
import { addScalingSystems, type Scaling } from './scaling.ts';
import {
  BESIDE_CONNECTIONS,
  codeStepSystem,
  currentCodeOf,
  formPostSystem,
  getSystem,
  loginStormSystem,
  type System,
} from './systems.ts';
import { createDatabase, type DialectName, startTwofa, type TwofaDatabase } from './twofa-server.ts';

const BARE = 'bare node:http POST+302';
const FLASK = 'Flask+pyotp (gunicorn -w 2 gthread)';
const WARM_UP_SECONDS = 1;

const { values } = readFlags();
const rounds = positiveInteger('--rounds', values.rounds);
const durationSeconds = positiveInteger('--duration', values.duration);
const connections = positiveInteger('--connections', values.connections);
const coreShare = readCoreShare(values['core-share']);
const only = values.only === undefined ? undefined : new RegExp(values.only, 'i');
const say = (line: string) => process.stderr.write(`${line}\n`);

const pgUrl = process.env.TWOFA_TEST_PG_URL?.trim() || undefined;
const dialects: DialectName[] = pgUrl === undefined ? ['sqlite'] : ['sqlite', 'postgres'];
const skipped: string[] = [];
if (pgUrl === undefined) skipped.push('twofa on PostgreSQL: skipped (set TWOFA_TEST_PG_URL to include it)');

const children: RunningChild[] = [];
/** The processes whose resident memory is reported: bare node:http and each twofa. */
const measuredProcesses: Array<{ name: string; child: RunningChild }> = [];
const HALF_RATE = ', at half its rate';
/** Idle means this long after the last request (sockets closed, timers settled). */
const SETTLE_MS = 2000;
const databases: TwofaDatabase[] = [];
const cpuGroups: CpuGroup[] = [];
const pools = new Map<DialectName, UserPool>();
/** The probe of bare node:http and of each single-process code step's server (bench/loop-probe.ts). */
const probes = new Map<string, LoopProbe>();
/** What each probe saw during each round, by row. */
const loopSamples = new Map<string, ProbedRound[]>();
const tempDirs: string[] = [];
const systems: System[] = [];
const rowOrder: string[] = [];
const loadBefore = loadavg();
let scaling: Scaling | undefined;

try {
  const barePort = await findFreePort();
  const bareDir = await mkdtemp(join(tmpdir(), 'twofa-bench-bare-'));
  tempDirs.push(bareDir);
  const bareProbeFile = join(bareDir, 'loop-probe.jsonl');
  const bareProbe = createLoopProbe(bareProbeFile);
  children.push(
    await startChild({
      name: 'bare node:http',
      command: process.execPath,
      args: [...bareProbe.nodeArgs, new URL('./bare-server.ts', import.meta.url).pathname, String(barePort)],
      env: { ...process.env, TWOFA_BENCH_LOOP_PROBE: bareProbeFile },
      ready: /listening/,
    }),
  );
  bareProbe.attach(children.at(-1) as RunningChild);
  probes.set(BARE, bareProbe);
  measuredProcesses.push({ name: 'bare node:http', child: children.at(-1) as RunningChild });
  systems.push(formPostSystem(BARE, `http://127.0.0.1:${barePort}`, () => '123456'));
  rowOrder.push(BARE);

  const flaskMissing = flaskUnavailable();
  if (flaskMissing === undefined) {
    const secret = generateSecret(20);
    const flaskPort = await findFreePort();
    children.push(await startFlask(flaskPort, encodeBase32(secret, { padding: false })));
    systems.push(formPostSystem(FLASK, `http://127.0.0.1:${flaskPort}`, currentCodeOf(secret)));
    rowOrder.push(FLASK);
  } else {
    skipped.push(`Flask peer: skipped (${flaskMissing})`);
  }

  for (const dialect of dialects) {
    const database = await createDatabase(dialect, pgUrl);
    databases.push(database);
    const pool = await openUserPool(database);
    pools.set(dialect, pool);
    const probe = createLoopProbe(database.env.TWOFA_BENCH_LOOP_PROBE as string);
    children.push(await startTwofa(database, [...probe.nodeArgs, ...profileArgs(dialect)]));
    probe.attach(children.at(-1) as RunningChild);
    measuredProcesses.push({ name: `twofa ${dialect}`, child: children.at(-1) as RunningChild });
    const url = database.config.publicUrl;
    const wrong = `twofa ${dialect}: code step, wrong code`;
    const right = `twofa ${dialect}: code step, right code`;
    const healthz = `twofa ${dialect}: GET /healthz`;
    probes.set(wrong, probe);
    probes.set(right, probe);
    systems.push(codeStepSystem({ name: wrong, url, pool, kind: 'wrong' }));
    systems.push(codeStepSystem({ name: right, url, pool, kind: 'right' }));
    systems.push(getSystem(healthz, url, '/healthz'));
    rowOrder.push(wrong, right, healthz);
    if (dialect === 'sqlite') {
      // The storm's cheap route beside it, against the same route alone on as many connections.
      const alone = `twofa ${dialect}: GET /healthz alone (${BESIDE_CONNECTIONS} conn)`;
      const storm = `twofa ${dialect}: login storm (POST /login, argon2)`;
      const beside = `twofa ${dialect}: GET /healthz beside the storm (${BESIDE_CONNECTIONS} conn)`;
      const pageBeside = `twofa ${dialect}: GET /login beside the storm (${BESIDE_CONNECTIONS} conn)`;
      systems.push(getSystem(alone, url, '/healthz', BESIDE_CONNECTIONS));
      systems.push(loginStormSystem(storm, url, beside, pageBeside));
      rowOrder.push(alone, storm, beside, pageBeside);
    }
  }

  scaling = await addScalingSystems({
    pgUrl,
    systems,
    rowOrder,
    children,
    databases,
    skipped,
    coreShare,
    cpuGroups,
  });
  if (only !== undefined) {
    // Bare node:http and Flask always stay in: the ratios need them.
    const keep = (name: string) => only.test(name) || name === BARE || name === FLASK;
    for (let i = systems.length - 1; i >= 0; i--) {
      if (!keep((systems[i] as System).name)) systems.splice(i, 1);
    }
  }
  for (const line of skipped) say(line);
  say(
    `bench:server: ${systems.length} systems x ${rounds} rounds, ${durationSeconds} s each, ` +
      `${connections} connections (Node ${process.version})`,
  );
  const measured = new Map<string, Measurement[]>(rowOrder.map((row) => [row, []]));
  const started = performance.now();
  await sleep(SETTLE_MS);
  const rssIdleBefore = readRss();
  // Warm-up, not recorded: JIT, connection pools and the page cache, and a first rate for sizing supplies.
  say(`  warm-up: each system for ${WARM_UP_SECONDS} s`);
  for (const system of systems) await system.runRound({ connections, durationSeconds: WARM_UP_SECONDS });
  for (let round = 0; round < rounds; round++) {
    // Interleave: each round starts one system later, so no system always runs first or right after another.
    for (let i = 0; i < systems.length; i++) {
      const system = systems[(round + i) % systems.length] as System;
      const rows = await runProbed(system, { connections, durationSeconds }, (row) => row);
      for (const [row, measurement] of Object.entries(rows)) {
        measured.get(row)?.push(measurement);
        say(
          `  round ${round + 1}/${rounds} ${row}: ${Math.round(measurement.requestsPerSecond)} req/s, ` +
            `p99 ${measurement.p99Ms} ms${measurement.exhausted ? ' (ran out of prepared requests)' : ''}`,
        );
      }
    }
  }
  // p99 at half the maximum rate: each code step again, paced evenly at half its median rate (paced-load.ts),
  // interleaved as above. Bare node:http is paced too, at the fastest of those rates: the floor this machine and
  // this client put under any p99 (a row of its own, not a ratio).
  const paced = systems.filter((system) => system.name.includes('code step'));
  const halfRates = new Map(
    paced.map((system) => [
      system.name,
      median((measured.get(system.name) ?? []).map((m) => m.requestsPerSecond)) / 2,
    ]),
  );
  const bare = systems.find((system) => system.name === BARE);
  const floorRate = Math.max(0, ...halfRates.values());
  const floorRow = `${BARE}, paced like the code steps`;
  if (bare !== undefined && floorRate > 0) {
    paced.push(bare);
    halfRates.set(BARE, floorRate);
    rowOrder.push(floorRow);
  }
  const pacedRow = (row: string) => (row === BARE ? floorRow : row + HALF_RATE);
  for (const system of paced) measured.set(pacedRow(system.name), []);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < paced.length; i++) {
      const system = paced[(round + i) % paced.length] as System;
      const overallRate = Math.max(1, Math.round(halfRates.get(system.name) ?? 1));
      const rows = await runProbed(system, { connections, durationSeconds, overallRate }, pacedRow);
      for (const [row, measurement] of Object.entries(rows)) {
        measured.get(pacedRow(row))?.push(measurement);
        say(
          `  round ${round + 1}/${rounds} ${pacedRow(row)} (${overallRate} req/s): p50 ${measurement.p50Ms} ms, ` +
            `p99 ${measurement.p99Ms} ms`,
        );
      }
    }
  }
  await sleep(SETTLE_MS);
  const rssIdleAfter = readRss();
  const memory = Object.fromEntries(
    measuredProcesses.map(({ name }) => [
      name,
      { idleRssMbBefore: rssIdleBefore[name], idleRssMbAfter: rssIdleAfter[name] },
    ]),
  );
  const totalSeconds = (performance.now() - started) / 1000;
  // Rows of systems left out by --only have no rounds.
  const summary = summarize(new Map([...measured].filter(([, m]) => m.length > 0)), BARE, FLASK);
  const preparation = Object.fromEntries(
    [...pools].map(([dialect, pool]) => [
      dialect,
      { users: pool.users.length, seconds: pool.prepareMs / 1000 },
    ]),
  );
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
    options: { rounds, durationSeconds, connections },
    skipped,
    totalSeconds,
    preparation,
    memory,
    loop: Object.fromEntries(loopSamples),
    results: summary,
    rounds: Object.fromEntries(measured),
  };
  const table = [
    formatTable(summary),
    ...scaling.ratios(measured),
    '',
    formatMemory(memory),
    formatLoopSamples(loopSamples, [...measured.keys()]),
  ].join('\n');
  const context =
    `${report.date}, Node ${report.node}, ${report.cpus} CPUs (${report.cpuModel}), load average ` +
    `${loadBefore.map((n) => n.toFixed(2)).join(' ')} before, ${report.loadAverageAfter.map((n) => n.toFixed(2)).join(' ')} after; ` +
    `${rounds} rounds x ${durationSeconds} s, ${connections} connections; ${totalSeconds.toFixed(0)} s in all, ` +
    `preparation ${Object.entries(preparation)
      .map(([d, p]) => `${d} ${p.users} users ${p.seconds.toFixed(1)} s`)
      .join(', ')}`;
  if (values.json) {
    say(`\n${table}\n${context}`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const dir = new URL('./results/', import.meta.url);
    await mkdir(dir, { recursive: true });
    const file = new URL(`server-${report.date.replaceAll(':', '-')}.json`, dir);
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`\n${table}\n${context}\nJSON: ${file.pathname}\n`);
  }
} finally {
  await scaling?.close();
  await Promise.allSettled(children.map((child) => child.stop()));
  for (const group of cpuGroups) group.remove();
  await Promise.allSettled([...pools.values()].map((pool) => pool.close()));
  await Promise.allSettled(databases.map((database) => database.drop()));
  await Promise.allSettled(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Resident memory (MB) of each measured process now, from /proc (undefined where it cannot be read). */
function readRss(): Record<string, number | undefined> {
  return Object.fromEntries(
    measuredProcesses.map(({ name, child }) => {
      try {
        const status = readFileSync(`/proc/${child.process.pid}/status`, 'utf8');
        const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
        return [name, Number.isFinite(kb) ? Math.round(kb / 102.4) / 10 : undefined];
      } catch {
        return [name, undefined];
      }
    }),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One round of `system`, with what its server's probe saw (when it has one) kept under the row's name
 * (`rowOf` maps the system's row to the table's, e.g. its half-rate row) beside the responses it served.
 */
async function runProbed(
  system: System,
  options: Parameters<System['runRound']>[0],
  rowOf: (row: string) => string,
): Promise<Record<string, Measurement>> {
  const probe = probes.get(system.name);
  if (probe === undefined) return system.runRound(options);
  // The period starts when the load does (after the round's preparation) and ends with it.
  let started = false;
  const beforeLoad = async () => {
    if (started) return;
    started = true;
    await probe.sample();
  };
  const rows = await system.runRound({ ...options, beforeLoad });
  const loop = started ? await probe.sample() : undefined;
  const entries = Object.entries(rows);
  if (loop === undefined || entries.length !== 1) {
    say(`  (no probe sample for ${system.name} this round)`);
    return rows;
  }
  const [row, measurement] = entries[0] as [string, Measurement];
  const name = rowOf(row);
  loopSamples.set(name, [...(loopSamples.get(name) ?? []), { ...loop, responses: measurement.responses }]);
  return rows;
}

/** With --cpu-prof DIR, each twofa child writes a V8 CPU profile there when it stops. */
function profileArgs(dialect: DialectName): string[] {
  const dir = values['cpu-prof'];
  if (dir === undefined) return [];
  return [
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    '--cpu-prof-name',
    `twofa-${dialect}-${process.pid}.cpuprofile`,
  ];
}

function positiveInteger(flag: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    process.stderr.write(`bench:server: ${flag} must be a whole number of at least 1 (got "${value}")\n`);
    process.exit(2);
  }
  return parsed;
}

function readFlags() {
  try {
    return parseArgs({
      options: {
        rounds: { type: 'string', default: '3' },
        duration: { type: 'string', default: '4' },
        connections: { type: 'string', default: '16' },
        json: { type: 'boolean', default: false },
        only: { type: 'string' },
        'cpu-prof': { type: 'string' },
        'core-share': { type: 'string', default: '0.3' },
      },
    });
  } catch (error) {
    process.stderr.write(
      `bench:server: ${(error as Error).message} (options: --rounds N, --duration SECONDS, --connections N, --json, --only REGEX, --cpu-prof DIR, --core-share F)\n`,
    );
    process.exit(2);
  }
}

/** --core-share: a fraction of a core per serving process in the scaling rows; undefined runs them as is. */
function readCoreShare(text: string | undefined): number | undefined {
  const share = Number(text);
  if (!Number.isFinite(share) || share < 0 || share > 1) {
    process.stderr.write(`bench:server: --core-share must be a number from 0 to 1, got ${text}\n`);
    process.exit(2);
  }
  if (share === 0) return undefined;
  const unavailable = cpuQuotaUnavailable();
  if (unavailable === undefined) return share;
  process.stderr.write(`bench:server: scaling rows unconstrained (${unavailable})\n`);
  return undefined;
}
