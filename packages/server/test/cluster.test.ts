// TWOFA_WORKERS: several processes on one port (node:cluster), on SQLite and PostgreSQL. Under concurrent
// writes from two processes SQLite must never answer "database is locked" (WAL, busy_timeout, write lock
// taken at BEGIN); a worker that dies is replaced; SIGTERM lets requests in flight finish and exits 0; the
// PostgreSQL pools of all workers must fit max_connections, checked at start.
import assert from 'node:assert/strict';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config.ts';
import { prepareStorage } from '../src/services/index.ts';
import { DIALECTS, makeClock, openTestServices } from './support/dialects.ts';
import {
  countStatuses,
  databaseEnv,
  ENROLL_BACK_MS,
  type Instance,
  isRunning,
  startInstance,
  submitCode,
  userAtCodeStep,
  wrongCodeFor,
} from './support/instances.ts';

const running: Instance[] = [];
after(() => Promise.all(running.map((instance) => instance.stop('SIGKILL'))));

async function startWorkers(env: Record<string, string>, workers: number): Promise<Instance> {
  // The load comes from one address: the per-client budget would refuse it (client-limits.test.ts tests that).
  const instance = await startInstance({
    TWOFA_PORT: '0',
    TWOFA_WORKERS: String(workers),
    TWOFA_CLIENT_REQUESTS_PER_MINUTE: '0',
    ...env,
  });
  running.push(instance);
  return instance;
}

const workerPids = (instance: Instance) =>
  instance
    .events()
    .filter((e) => e.event === 'worker.listening')
    .map((e) => e.pid as number);

/**
 * Unknown-email logins: each costs a full argon2id (production's parameters), so several are in flight. The
 * forms are loaded first; the posts are sent together.
 */
async function slowLogins(url: string, count: number, tag: string) {
  const forms = await Promise.all(
    Array.from({ length: count }, async () => {
      const form = await fetch(`${url}/login`);
      const cookie = form.headers.getSetCookie()[0]?.split(';')[0] ?? '';
      const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
      return { cookie, csrf };
    }),
  );
  return forms.map(async ({ cookie, csrf }, i) => {
    const response = await fetch(`${url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: url, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: `${tag}-${i}@example.com`, password: 'not it', csrf }),
    });
    await response.arrayBuffer();
    return { status: response.status, atMs: performance.now() };
  });
}

for (const dialect of DIALECTS) {
  describe(dialect.name, () => {
    test('2 workers: concurrent code steps from many people spread over both, no lock errors, every rule kept', {
      timeout: 120_000,
    }, async () => {
      const config = await dialect.makeConfig();
      const clock = makeClock(Date.now() - ENROLL_BACK_MS);
      const { services } = await openTestServices(config, clock);
      try {
        const people = [];
        for (let i = 0; i < 40; i++) people.push(await userAtCodeStep(services, clock, 1));
        const server = await startWorkers({ ...databaseEnv(config), TWOFA_LOG: '1' }, 2);
        // Each person: two wrong codes then the right one, all people at once (writes from both processes).
        const answers = await Promise.all(
          people.map(async ([at]) => {
            const person = at!;
            const wrong = wrongCodeFor(person.secret);
            const first = await submitCode(server.url, server.url, person, wrong);
            const second = await submitCode(server.url, server.url, person, wrong);
            const right = await submitCode(server.url, server.url, person);
            return [first, second, right];
          }),
        );
        const flat = answers.flat();
        assert.deepEqual(countStatuses(flat), { 303: 40, 401: 80 }, 'wrong codes 401, right codes 303');
        const requests = server.events().filter((e) => e.event === 'request');
        assert.deepEqual(
          new Set(requests.map((e) => e.worker)),
          new Set([1, 2]),
          'both workers served requests',
        );
        const output = JSON.stringify(server.events()) + server.stderr();
        assert.doesNotMatch(output, /database is locked|SQLITE_BUSY|"event":"(error|unavailable)"/);
        assert.equal(await server.stop('SIGTERM'), 0);
      } finally {
        await services.close();
      }
    });
  });
}

test('a worker killed with SIGKILL is replaced under a new pid; the service answers throughout', {
  timeout: 60_000,
}, async () => {
  const config = await DIALECTS[0]!.makeConfig();
  const server = await startWorkers({ ...databaseEnv(config), TWOFA_LOG: '0' }, 2);
  const [victim, survivor] = workerPids(server);
  assert.ok(victim !== undefined && survivor !== undefined, 'two worker pids logged');
  process.kill(victim, 'SIGKILL');
  // Until the primary has seen the exit it may still hand a new connection to the dead worker, and Node's
  // round-robin hand-off never hears back from it: that one connection hangs until the client gives up
  // (README). Requests from then on must all be answered by the living workers.
  for (let i = 0; i < 100 && !server.events().some((e) => e.event === 'worker.exited'); i++) await sleep(50);
  for (let i = 0; i < 20; i++) {
    const health = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(health.status, 200);
  }
  let pids = workerPids(server);
  for (let i = 0; i < 100 && pids.length < 3; i++) {
    await sleep(100);
    pids = workerPids(server);
  }
  assert.equal(pids.length, 3, 'a third worker started');
  const exited = server.events().find((e) => e.event === 'worker.exited');
  assert.equal(exited?.signal, 'SIGKILL');
  assert.equal(typeof exited?.restartInMs, 'number');
  assert.ok(isRunning(pids[2]!) && !isRunning(victim));
  assert.equal(await server.stop('SIGTERM'), 0);
  for (const pid of pids) assert.ok(!isRunning(pid), `worker ${pid} gone after the primary exited`);
});

test('a worker that cannot start is retried with a doubling pause, not in a loop; it comes back once it can', {
  timeout: 60_000,
}, async () => {
  const config = await DIALECTS[0]!.makeConfig();
  const server = await startWorkers({ ...databaseEnv(config), TWOFA_LOG: '0' }, 2);
  // The running workers keep their open file; a new one finds a directory where the database should be.
  const file = join(config.dataDir, 'twofa.sqlite');
  await rename(file, `${file}.aside`);
  await mkdir(file);
  process.kill(workerPids(server)[0]!, 'SIGKILL');
  const delays = () =>
    server
      .events()
      .filter((e) => e.event === 'worker.exited')
      .map((e) => e.restartInMs);
  for (let i = 0; i < 200 && delays().length < 4; i++) await sleep(50);
  assert.deepEqual(delays().slice(0, 4), [100, 200, 400, 800], 'each quick death doubles the pause');
  assert.ok(
    server.events().some((e) => e.event === 'worker.failed'),
    'the reason is logged',
  );
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the other worker serves meanwhile');
  await rm(file, { recursive: true });
  await rename(`${file}.aside`, file);
  const listening = () => workerPids(server).length;
  for (let i = 0; i < 200 && listening() < 3; i++) await sleep(50);
  assert.equal(listening(), 3, 'the worker is back once its database is');
  assert.equal(await server.stop('SIGTERM'), 0);
});

for (const workers of [1, 2]) {
  test(`SIGTERM with ${workers} worker(s): requests in flight finish, then exit 0`, {
    timeout: 60_000,
  }, async () => {
    const config = await DIALECTS[0]!.makeConfig();
    const server = await startWorkers({ ...databaseEnv(config), TWOFA_LOG: '0' }, workers);
    const logins = await slowLogins(server.url, 24, `sigterm-${workers}`);
    // Once the first answer is back, the others were sent and are being hashed: stop now.
    await Promise.race(logins);
    const signalledAt = performance.now();
    const exit = server.stop('SIGTERM');
    const answers = await Promise.all(logins);
    assert.deepEqual(countStatuses(answers), { 401: 24 }, 'every request in flight got its real answer');
    assert.ok(
      answers.some((answer) => answer.atMs > signalledAt),
      'some answers came after SIGTERM (they were in flight)',
    );
    assert.equal(await exit, 0, server.stderr());
    await assert.rejects(fetch(`${server.url}/healthz`), 'no longer listening');
  });
}

test('start-up: pools that can never fit max_connections are refused, naming the variables', {
  skip: DIALECTS.length < 2 ? 'needs TWOFA_TEST_PG_URL' : false,
}, async () => {
  const config = await DIALECTS[1]!.makeConfig();
  await assert.rejects(prepareStorage({ ...config, workers: 4, databasePoolSize: 1000 }, { log: () => {} }), {
    name: 'ConfigError',
    message:
      /^TWOFA_DATABASE_POOL_SIZE .*4 worker\(s\) x TWOFA_DATABASE_POOL_SIZE 1000 = 4000 .*max_connections/,
  });
  // The same as an operator sees it: one line, exit 2, before any worker is forked.
  const env = { ...databaseEnv(config), TWOFA_WORKERS: '2', TWOFA_DATABASE_POOL_SIZE: '1000' };
  await assert.rejects(
    startInstance({ TWOFA_PORT: '0', ...env }),
    /twofa: TWOFA_DATABASE_POOL_SIZE is too large/,
  );
  // What fits starts (and loadConfig's default pool for 2 workers is 5 each).
  assert.equal(loadConfig({ TWOFA_WORKERS: '2' }).databasePoolSize, 5);
  await prepareStorage({ ...config, workers: 2, databasePoolSize: 5 }, { log: () => {} });
});
