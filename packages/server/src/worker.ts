/**
 * A cluster worker (forked by ./cluster.ts): waits for the primary's `start` message, serves with the
 * primary's environment (the storage is already prepared), tells the primary it listens or why it could not,
 * and stops gracefully on the primary's `stop` message or on SIGTERM/SIGINT: no new connections, requests in
 * flight finish, the database pool closes, exit 0. Its log lines carry `"worker": <slot>`.
 */
import { ConfigError, type RunningServer, serve } from './index.ts';
import { batchLines } from './log-batch.ts';

/** From the primary. */
export type PrimaryMessage =
  | {
      readonly type: 'start';
      readonly env: Record<string, string | undefined>;
      /** 1..N: which of the primary's workers this is (a restarted worker keeps its number). */
      readonly slot: number;
      readonly log: 'stdout' | 'stderr';
    }
  | { readonly type: 'stop' };

export interface FailedMessage {
  readonly type: 'failed';
  readonly message: string;
  /** The variable at fault, for a ConfigError. */
  readonly variable?: string;
  /** A listen error's code, port and address (EADDRINUSE...). */
  readonly code?: string;
  readonly port?: number;
  readonly address?: string;
}

/** To the primary. */
export type WorkerMessage = { readonly type: 'listening'; readonly url: string } | FailedMessage;

/** The line with `"worker":slot` as its first field (every log line is one JSON object). */
export function withWorkerField(line: string, slot: number): string {
  if (!line.startsWith('{')) return line;
  return line === '{}' ? `{"worker":${slot}}` : `{"worker":${slot},${line.slice(1)}`;
}

let running: RunningServer | undefined;
let stopping = false;

const tell = (message: WorkerMessage) =>
  new Promise<void>((resolve) => {
    if (process.connected && process.send) process.send(message, () => resolve());
    else resolve();
  });

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  let status = 0;
  try {
    await running?.close();
  } catch (error) {
    process.stderr.write(`twofa worker: error while closing: ${(error as Error).message}\n`);
    status = 1;
  }
  process.exit(status);
}

process.on('message', (message: PrimaryMessage) => {
  if (message.type === 'stop') {
    void stop();
    return;
  }
  if (running !== undefined || stopping) return;
  const out = message.log === 'stderr' ? process.stderr : process.stdout;
  // One write per turn of the event loop, as main.ts does for a single process (log-batch.ts); flushed at exit.
  const lines = batchLines((text) => out.write(`${text}\n`));
  process.once('exit', lines.flush);
  const log = (line: string) => lines.log(withWorkerField(line, message.slot));
  serve({ env: message.env, log, prepared: true }).then(
    (server) => {
      running = server;
      if (stopping) void server.close();
      else void tell({ type: 'listening', url: server.url });
    },
    (error: unknown) => {
      const { code, port, address } = error as { code?: unknown; port?: unknown; address?: unknown };
      void tell({
        type: 'failed',
        message: error instanceof Error ? error.message : String(error),
        ...(error instanceof ConfigError ? { variable: error.variable } : {}),
        ...(typeof code === 'string' ? { code } : {}),
        ...(typeof port === 'number' ? { port } : {}),
        ...(typeof address === 'string' ? { address } : {}),
      }).then(() => process.exit(1));
    },
  );
});

// Ctrl-C reaches the whole process group, workers included; a signal to one worker stops just that one (the
// primary then starts another).
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
