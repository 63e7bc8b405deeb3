/**
 * `npm start`: reads TWOFA_* from the environment, serves until SIGINT or SIGTERM, then closes cleanly.
 * A bad variable prints one line and exits with status 2.
 */
import { ConfigError, serve } from './index.ts';
import { batchLines } from './log-batch.ts';

// The lines of one turn of the event loop in one write: stdout is synchronous on Linux (files and pipes), and
// a busy server logs several lines per request (see log-batch.ts). Flushed at exit.
const lines = batchLines((text) => process.stdout.write(`${text}\n`));
process.once('exit', lines.flush);
const { log } = lines;

try {
  const server = await serve({ env: process.env, log });
  process.stderr.write(`twofa: listening on ${server.url} (Ctrl+C to stop)\n`);
  const stop = (signal: NodeJS.Signals) => {
    process.stderr.write(`twofa: ${signal}, closing\n`);
    // A second signal, or a close that hangs, ends the process without waiting.
    process.once(signal, () => process.exit(130));
    setTimeout(() => process.exit(1), 10_000).unref();
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
