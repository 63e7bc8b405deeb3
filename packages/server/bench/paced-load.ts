/**
 * A paced load: requests sent at an even rate (one every 1/rate seconds) over a pool of keep-alive
 * connections, each latency measured from the moment its request was due, so a slow answer that holds every
 * connection busy delays the next requests and is counted against the server (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: it gives each connection a budget per second, sends that budget as fast
 * as the server answers, then waits for the next second (lib/httpClient.js, `reqsMadeThisSecond`), so a run at
 * "half the rate" is a saturated burst for half of every second: its p99 is the queue of a full load, not
 * the tail of a half-loaded server.
 */
import { Agent, request } from 'node:http';
import type { LoadOptions, Measurement } from './load.ts';

/** How often the pacer looks for requests that are due (the timer's own granularity). */
const TICK_MS = 1;

export async function runPacedLoad(
  options: LoadOptions & { readonly overallRate: number },
): Promise<Measurement> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const intervalMs = 1000 / options.overallRate;
  const durationMs = options.durationSeconds * 1000;
  const limit = options.amount ?? Number.POSITIVE_INFINITY;
  let exhausted = false;
  let sent = 0;
  let inFlight = 0;
  const started = performance.now();
  let lastAnswerAt = started;

  await new Promise<void>((resolve) => {
    let stopped = false;
    const finishIfDone = () => {
      if (stopped && inFlight === 0) resolve();
    };
    const send = (dueAt: number) => {
      const next = options.next();
      if (next === undefined) {
        exhausted = true;
        stopped = true;
        finishIfDone();
        return;
      }
      sent++;
      inFlight++;
      const body = next.body === undefined ? undefined : Buffer.from(next.body);
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: next.method,
          path: next.path,
          headers: {
            ...next.headers,
            ...(body === undefined ? {} : { 'content-length': String(body.length) }),
          },
        },
        (res) => {
          res.resume();
          res.once('end', () => {
            const now = performance.now();
            lastAnswerAt = now;
            latencies.push(now - dueAt);
            const status = res.statusCode ?? 0;
            statuses[status] = (statuses[status] ?? 0) + 1;
            options.onStatus?.(status, next.tag);
            inFlight--;
            finishIfDone();
          });
        },
      );
      req.once('error', () => {
        statuses.errors = (statuses.errors ?? 0) + 1;
        inFlight--;
        finishIfDone();
      });
      req.end(body);
    };
    const tick = () => {
      const now = performance.now();
      if (now - started >= durationMs) stopped = true;
      // Every request due by now goes out, each stamped with the time it was due, not the time it left.
      while (!stopped && sent < limit) {
        const dueAt = started + sent * intervalMs;
        if (dueAt > now) break;
        send(dueAt);
      }
      if (sent >= limit) {
        exhausted = true;
        stopped = true;
      }
      if (stopped) finishIfDone();
      else setTimeout(tick, TICK_MS);
    };
    tick();
  });
  agent.destroy();

  const seconds = (lastAnswerAt - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requestsPerSecond: seconds > 0 ? latencies.length / seconds : 0,
    p50Ms: round(at(0.5)),
    p99Ms: round(at(0.99)),
    responses: latencies.length,
    seconds,
    statuses,
    exhausted,
  };
}

/** Milliseconds to one decimal: the table's p50/p99 resolution for a paced run. */
function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
