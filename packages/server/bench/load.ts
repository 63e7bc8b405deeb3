/**
 * One load: autocannon (in this process, one client) against a URL for a duration, or until the prepared
 * requests run out. Each request comes from `next()` (a code step needs a different cookie and code each
 * time); `onStatus` sees each status with the request it answers (connections are not pipelined, so a
 * connection's response answers its last request).
 */
import autocannon from 'autocannon';
import { runPacedLoad } from './paced-load.ts';

export interface LoadRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Given back to onStatus with the response. */
  readonly tag?: unknown;
}

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** The next request to send; undefined when the prepared ones are used up (the load stops). */
  readonly next: () => LoadRequest | undefined;
  /** At most this many requests (the prepared supply). */
  readonly amount?: number;
  readonly onStatus?: (status: number, tag: unknown) => void;
  /** Paced at this many requests per second over all connections, evenly (bench/paced-load.ts: latencies
   *  from when each request was due); unset: as fast as the server answers (autocannon). */
  readonly overallRate?: number;
  /** Awaited first, just before the load starts (after whatever the caller prepared). */
  readonly beforeLoad?: () => Promise<unknown>;
}

export interface Measurement {
  /** Responses per second over the load's real duration. */
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly responses: number;
  readonly seconds: number;
  /** Responses by status, plus "errors" (connection errors and timeouts) when any. */
  readonly statuses: Record<string, number>;
  /** True when the prepared requests ran out before the duration (the rate is over the shorter time). */
  readonly exhausted: boolean;
}

interface ConnectionContext {
  tag?: unknown;
}

export async function runLoad(options: LoadOptions): Promise<Measurement> {
  await options.beforeLoad?.();
  const { overallRate } = options;
  if (overallRate !== undefined) return runPacedLoad({ ...options, overallRate });
  let exhausted = false;
  let instance: autocannon.Instance | undefined;
  const statuses: Record<string, number> = {};
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        pipelining: 1,
        duration: options.durationSeconds,
        ...(options.amount === undefined ? {} : { amount: options.amount }),
        requests: [
          {
            setupRequest: (request, context) => {
              const next = options.next();
              if (next === undefined) {
                exhausted = true;
                instance?.stop();
                // Sent nowhere that matters: the client is stopping; the status is not counted.
                return { ...request, method: 'GET', path: '/healthz' };
              }
              (context as ConnectionContext).tag = next.tag;
              return {
                ...request,
                method: next.method,
                path: next.path,
                headers: { ...next.headers },
                ...(next.body === undefined ? {} : { body: next.body }),
              };
            },
            onResponse: (status, _body, context) => {
              if (exhausted && (context as ConnectionContext).tag === undefined) return;
              statuses[status] = (statuses[status] ?? 0) + 1;
              options.onStatus?.(status, (context as ConnectionContext).tag);
              (context as ConnectionContext).tag = undefined;
            },
          },
        ],
      },
      (error, done) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(done);
      },
    );
    // autocannon ignores `duration` when `amount` is set: end at the duration whichever comes first.
    const timer = setTimeout(() => instance?.stop(), options.durationSeconds * 1000);
  });
  if (result.errors > 0) statuses.errors = result.errors;
  const responses = result.requests.total;
  if (options.amount !== undefined && responses >= options.amount) exhausted = true;
  return {
    requestsPerSecond: responses / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    responses,
    seconds: result.duration,
    statuses,
    exhausted,
  };
}
