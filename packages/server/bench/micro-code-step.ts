/**
 * The code step in-process, without HTTP or a load client: `app.request()` on the real app and services over
 * a fresh database, so a CPU profile (`node --cpu-prof`) shows only the server's own work per request.
 *   node packages/server/bench/micro-code-step.ts [--dialect sqlite|postgres] [--requests N] [--profile DIR]
 *     [--synchronous normal|full]
 * With --profile, a V8 CPU profile of the requests alone (not the preparation) per kind is written to DIR.
 * Prints the mean wall time and CPU time (this process's) per wrong-code and right-code request.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../src/app.ts';
import { deriveToken } from '../src/middleware/csrf/index.ts';
import { SESSION_COOKIE } from '../src/middleware/session/index.ts';
import { openServices } from '../src/services/index.ts';
import { openUserPool, rightCode, wrongCode } from './accounts.ts';
import { createDatabase } from './twofa-server.ts';

const { values } = parseArgs({
  options: {
    dialect: { type: 'string', default: 'sqlite' },
    requests: { type: 'string', default: '2000' },
    profile: { type: 'string' },
    synchronous: { type: 'string', default: 'normal' },
  },
});
const dialect = values.dialect === 'postgres' ? 'postgres' : 'sqlite';
const requests = Number(values.requests);
const database = await createDatabase(dialect, process.env.TWOFA_TEST_PG_URL?.trim() || undefined, {
  TWOFA_SQLITE_SYNCHRONOUS: values.synchronous,
});
const pool = await openUserPool(database);
const services = await openServices(database.config, { log: () => {} });
const app = createApp({ config: database.config, services, log: () => {} });
const origin = database.config.publicUrl;
try {
  await pool.grow(requests);
  for (const kind of ['wrong', 'right'] as const) {
    const signIns = await pool.signIn(pool.users.slice(0, requests));
    const session = values.profile === undefined ? undefined : new Session();
    if (session !== undefined) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const statuses = new Map<number, number>();
    for (const signIn of signIns) {
      const code = kind === 'wrong' ? wrongCode(signIn.user, Date.now()) : rightCode(signIn.user, Date.now());
      const response = await app.request(`${origin}/login/code`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin,
          cookie: `${SESSION_COOKIE}=${signIn.cookie}`,
        },
        body: `code=${code}&csrf=${encodeURIComponent(deriveToken(signIn.cookie))}`,
      });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
    const ms = (performance.now() - started) / signIns.length;
    // CPU time of this process (user + system) per request: steadier than the wall clock on a shared machine.
    const cpu = process.cpuUsage(cpuBefore);
    const cpuUs = (cpu.user + cpu.system) / signIns.length;
    if (session !== undefined && values.profile !== undefined) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(
        join(values.profile, `code-step-${dialect}-${kind}.cpuprofile`),
        JSON.stringify(profile),
      );
      session.disconnect();
    }
    process.stdout.write(
      `${dialect} ${kind} code: ${(ms * 1000).toFixed(0)} us per request (${(1000 / ms).toFixed(0)}/s), ` +
        `${cpuUs.toFixed(0)} us of CPU, ` +
        `statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
    // Right codes: each user's step is used now; wrong codes: each user has one more failure (well below 10).
  }
} finally {
  await services.close();
  await pool.close();
  await database.drop();
}
