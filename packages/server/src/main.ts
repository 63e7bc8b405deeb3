/**
 * `npm start`: reads TWOFA_* from the environment, serves (TWOFA_WORKERS processes) until SIGINT or SIGTERM,
 * then closes cleanly: no new connections, requests in flight finish, the database closes, exit 0.
 * A bad variable prints one line and exits with status 2.
 */
import { start } from './cluster.ts';
import { ConfigError } from './config.ts';
import { batchLines } from './log-batch.ts';

// The lines of one turn of the event loop in one write: stdout is synchronous on Linux (files and pipes), and
// a busy server logs several lines per request (see log-batch.ts). Flushed at exit. (Workers batch their own:
// worker.ts.)
const lines = batchLines((text) => process.stdout.write(`${text}\n`));
process.once('exit', lines.flush);
const { log } = lines;
/** Past the cluster's own grace for its workers (STOP_GRACE_MS), so that it can report them. */
const SHUTDOWN_LIMIT_MS = 15_000;

try {
  const server = await start({ env: process.env, log });
  const workers = server.workers === 1 ? '' : `, ${server.workers} workers`;
  // What start-up logged is out before the line that says it listens (a reader of both takes it as ready).
  lines.flush();
  process.stderr.write(`twofa: listening on ${server.url} (Ctrl+C to stop${workers})\n`);
  const stop = (signal: NodeJS.Signals) => {
    process.stderr.write(`twofa: ${signal}, closing\n`);
    // A second signal, or a close that hangs, ends the process without waiting.
    process.once(signal, () => process.exit(130));
    setTimeout(() => process.exit(1), SHUTDOWN_LIMIT_MS).unref();
    server.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        process.stderr.write(
          `twofa: error while closing: ${error instanceof Error ? error.message : error}\n`,
        );
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`twofa: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`twofa: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
