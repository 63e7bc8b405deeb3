/**
 * `npm run bench:server`: twofa's HTTP service beside its peers, under one client (autocannon, in this
 * process), systems interleaved over rounds, medians reported with ratios to bare node:http (the ceiling)
 * and to the tutorial's Flask app (the peer). Each system is started here on a free local port:
 *   - bare node:http: read a form, answer 302;
 *   - Flask + pyotp under gunicorn -w 2, 1 thread each (skipped with a line when Python or gunicorn lacks);
 *   - twofa on SQLite, and on PostgreSQL when TWOFA_TEST_PG_URL is set: the code step wrong and right,
 *     /healthz, and on SQLite a login storm with the p99 of /healthz beside it.
 * A warm-up pass (1 s each, not recorded) comes first. Options: --rounds N (3), --duration SECONDS per load
 * (4), --connections N (16), --json (JSON to stdout instead of a file under bench/results/). Run from the
 * repository root: `npm run bench:server`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { encodeBase32, generateSecret } from '@twofa/otp';
import { openUserPool, type UserPool } from './accounts.ts';
import type { RunningChild } from './child.ts';
import { startChild } from './child.ts';
import { flaskUnavailable, startFlask } from './flask.ts';
import { findFreePort } from './free-port.ts';
import type { Measurement } from './load.ts';
import { formatTable, summarize } from './report.ts';
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
const say = (line: string) => process.stderr.write(`${line}\n`);

const pgUrl = process.env.TWOFA_TEST_PG_URL?.trim() || undefined;
const dialects: DialectName[] = pgUrl === undefined ? ['sqlite'] : ['sqlite', 'postgres'];
const skipped: string[] = [];
if (pgUrl === undefined) skipped.push('twofa on PostgreSQL: skipped (set TWOFA_TEST_PG_URL to include it)');

const children: RunningChild[] = [];
const databases: TwofaDatabase[] = [];
const pools = new Map<DialectName, UserPool>();
const systems: System[] = [];
const rowOrder: string[] = [];
const loadBefore = loadavg();
let scaling: Scaling | undefined;

try {
  const barePort = await findFreePort();
  children.push(
    await startChild({
      name: 'bare node:http',
      command: process.execPath,
      args: [new URL('./bare-server.ts', import.meta.url).pathname, String(barePort)],
      ready: /listening/,
    }),
  );
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
    children.push(await startTwofa(database));
    const url = database.config.publicUrl;
    const wrong = `twofa ${dialect}: code step, wrong code`;
    const right = `twofa ${dialect}: code step, right code`;
    const healthz = `twofa ${dialect}: GET /healthz`;
    systems.push(codeStepSystem({ name: wrong, url, pool, kind: 'wrong' }));
    systems.push(codeStepSystem({ name: right, url, pool, kind: 'right' }));
    systems.push(getSystem(healthz, url, '/healthz'));
    rowOrder.push(wrong, right, healthz);
    if (dialect === 'sqlite') {
      // The storm's cheap route beside it, against the same route alone on as many connections.
      const alone = `twofa ${dialect}: GET /healthz alone (${BESIDE_CONNECTIONS} conn)`;
      const storm = `twofa ${dialect}: login storm (POST /login, argon2)`;
      const beside = `twofa ${dialect}: GET /healthz beside the storm (${BESIDE_CONNECTIONS} conn)`;
      systems.push(getSystem(alone, url, '/healthz', BESIDE_CONNECTIONS));
      systems.push(loginStormSystem(storm, url, beside));
      rowOrder.push(alone, storm, beside);
    }
  }

  scaling = await addScalingSystems({ pgUrl, systems, rowOrder, children, databases, skipped });
  for (const line of skipped) say(line);
  say(
    `bench:server: ${systems.length} systems x ${rounds} rounds, ${durationSeconds} s each, ` +
      `${connections} connections (Node ${process.version})`,
  );
  const measured = new Map<string, Measurement[]>(rowOrder.map((row) => [row, []]));
  const started = performance.now();
  // Warm-up, not recorded: JIT, connection pools and the page cache, and a first rate for sizing supplies.
  say(`  warm-up: each system for ${WARM_UP_SECONDS} s`);
  for (const system of systems) await system.runRound({ connections, durationSeconds: WARM_UP_SECONDS });
  for (let round = 0; round < rounds; round++) {
    // Interleave: each round starts one system later, so no system always runs first or right after another.
    for (let i = 0; i < systems.length; i++) {
      const system = systems[(round + i) % systems.length] as System;
      const rows = await system.runRound({ connections, durationSeconds });
      for (const [row, measurement] of Object.entries(rows)) {
        measured.get(row)?.push(measurement);
        say(
          `  round ${round + 1}/${rounds} ${row}: ${Math.round(measurement.requestsPerSecond)} req/s, ` +
            `p99 ${measurement.p99Ms} ms${measurement.exhausted ? ' (ran out of prepared requests)' : ''}`,
        );
      }
    }
  }
  const totalSeconds = (performance.now() - started) / 1000;
  const summary = summarize(measured, BARE, FLASK);
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
    results: summary,
    rounds: Object.fromEntries(measured),
  };
  const table = [formatTable(summary), ...scaling.ratios(measured)].join('\n');
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
  await Promise.allSettled([...pools.values()].map((pool) => pool.close()));
  await Promise.allSettled(databases.map((database) => database.drop()));
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
      },
    });
  } catch (error) {
    process.stderr.write(
      `bench:server: ${(error as Error).message} (options: --rounds N, --duration SECONDS, --connections N, --json)\n`,
    );
    process.exit(2);
  }
}
