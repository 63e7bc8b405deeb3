/**
 * Every core: `start()` serves with TWOFA_WORKERS processes. With one it serves in this process (`serve()`);
 * with more, this process becomes node:cluster's primary: it prepares the storage once (migrations, the master
 * key file, the PostgreSQL connection budget), forks the workers (./worker.ts), which share the listening
 * port (the primary hands connections out round-robin), restarts a worker that dies (with a growing pause,
 * so a worker that cannot start does not spin), and on close() stops them all gracefully.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.ts';
import type { RunningServer, ServeOptions } from './index.ts';
import { prepareStorage } from './services/index.ts';
import type { FailedMessage, PrimaryMessage, WorkerMessage } from './worker.ts';

export interface StartOptions extends ServeOptions {
  /** Where workers write their JSON log lines (each with its `worker` number). @default 'stdout' */
  readonly workerLog?: 'stdout' | 'stderr';
}

export interface StartedServer extends RunningServer {
  /** Processes serving requests (1: this one). */
  readonly workers: number;
}

/** The first restart of a worker waits this long; each quick death after it doubles the wait. */
export const RESTART_FIRST_DELAY_MS = 100;
/** The longest wait between restarts of a worker that keeps dying (a crash loop costs one start per this). */
export const RESTART_MAX_DELAY_MS = 30_000;
/** A worker that served this long before dying is restarted at once (the first delay), not after a back-off. */
export const WORKER_STABLE_MS = 30_000;
/** How long close() lets workers finish their requests before it kills them. */
export const STOP_GRACE_MS = 10_000;

/** Serves with `TWOFA_WORKERS` processes (default: one per core); see the module comment. */
export async function start(options: StartOptions): Promise<StartedServer> {
  const config = loadConfig(options.env);
  if (config.workers === 1) {
    // Loaded only here: a primary never serves, so it does not hold the HTTP app, its pages and their libraries.
    const { serve } = await import('./index.ts');
    return { ...(await serve(options)), workers: 1 };
  }
  if (!cluster.isPrimary) throw new Error('start() with several workers must run in the primary process');
  await prepareStorage(config, { log: options.log });
  return startWorkers(config.workers, options);
}

/** The worker's entry as the sources or the build name it. */
const WORKER_ENTRY = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url),
);

async function startWorkers(count: number, options: StartOptions): Promise<StartedServer> {
  const event = (name: string, fields: Record<string, unknown>) =>
    options.log(JSON.stringify({ time: new Date().toISOString(), event: name, ...fields }));
  cluster.setupPrimary({ exec: WORKER_ENTRY, args: [] });

  const live = new Map<number, Worker>();
  const quickDeaths = new Map<number, number>();
  const restartTimers = new Set<NodeJS.Timeout>();
  let stopping = false;
  let url: string | undefined;
  let startup: { resolve: () => void; reject: (error: Error) => void; waiting: number } | undefined;

  const fork = (slot: number) => {
    const worker = cluster.fork();
    const startedAt = Date.now();
    let listening = false;
    live.set(slot, worker);
    const message: PrimaryMessage = {
      type: 'start',
      env: options.env,
      slot,
      log: options.workerLog ?? 'stdout',
    };
    worker.send(message);
    worker.on('message', (reply: WorkerMessage) => {
      if (reply.type === 'listening') {
        listening = true;
        event('worker.listening', { worker: slot, pid: worker.process.pid });
        url ??= reply.url;
        if (startup !== undefined && --startup.waiting === 0) startup.resolve();
      } else if (reply.type === 'failed') {
        // At start the caller hears it; later (a restart) the operator does, and the back-off applies.
        if (startup !== undefined) startup.reject(errorFrom(reply));
        else event('worker.failed', { worker: slot, pid: worker.process.pid, message: reply.message });
      }
    });
    worker.on('exit', (code, signal) => {
      if (live.get(slot) === worker) live.delete(slot);
      if (stopping) return;
      if (startup !== undefined && !listening) {
        startup.reject(new Error(`worker ${slot} exited (${signal ?? code}) before it was listening`));
        return;
      }
      // A worker that served a while is restarted at once; one that keeps dying waits longer each time.
      const deaths = Date.now() - startedAt >= WORKER_STABLE_MS ? 1 : (quickDeaths.get(slot) ?? 0) + 1;
      quickDeaths.set(slot, deaths);
      const delayMs = Math.min(RESTART_MAX_DELAY_MS, RESTART_FIRST_DELAY_MS * 2 ** (deaths - 1));
      event('worker.exited', { worker: slot, pid: worker.process.pid, code, signal, restartInMs: delayMs });
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (!stopping) fork(slot);
      }, delayMs);
      restartTimers.add(timer);
    });
  };

  const stopAll = async (): Promise<number> => {
    stopping = true;
    for (const timer of restartTimers) clearTimeout(timer);
    restartTimers.clear();
    const workers = [...live.values()];
    let killed = 0;
    await Promise.all(
      workers.map(async (worker) => {
        if (worker.isDead()) return;
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        if (worker.isConnected()) worker.send({ type: 'stop' } satisfies PrimaryMessage);
        else worker.process.kill('SIGTERM');
        const timer = setTimeout(() => {
          killed += 1;
          worker.process.kill('SIGKILL');
        }, STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
    return killed;
  };

  try {
    await new Promise<void>((resolve, reject) => {
      startup = { resolve, reject, waiting: count };
      for (let slot = 1; slot <= count; slot++) fork(slot);
    });
  } catch (error) {
    await stopAll();
    throw error;
  } finally {
    startup = undefined;
  }
  event('workers.started', { workers: count, pid: process.pid, url });

  let closing: Promise<void> | undefined;
  return {
    url: url ?? '',
    workers: count,
    close() {
      closing ??= stopAll().then((killed) => {
        if (killed > 0) {
          throw new Error(`${killed} worker(s) did not stop within ${STOP_GRACE_MS} ms and were killed`);
        }
      });
      return closing;
    },
  };
}

/** The worker's start-up failure as the caller of start() would have seen it from serve(). */
function errorFrom(failed: FailedMessage): Error {
  if (failed.variable !== undefined) {
    return new ConfigError(failed.variable, failed.message.slice(failed.variable.length + 1));
  }
  // A listen error keeps code, port and address, which `twofa serve` turns into advice.
  return Object.assign(new Error(failed.message), {
    ...(failed.code === undefined ? {} : { code: failed.code }),
    ...(failed.port === undefined ? {} : { port: failed.port }),
    ...(failed.address === undefined ? {} : { address: failed.address }),
  });
}
