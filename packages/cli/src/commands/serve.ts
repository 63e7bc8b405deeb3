import { resolve } from 'node:path';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { parseIntegerOption, parseOptions } from '../options.ts';

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  workers: { type: 'string' },
} as const;

export const serve: Command = {
  name: 'serve',
  summary: 'run the twofa web service (sign-up, TOTP enrollment, two-step login)',
  help: `Usage: twofa serve [--host HOST] [--port PORT] [--data-dir DIR] [--workers N]

Runs the @twofa/server web service until Ctrl-C or SIGTERM (then requests in flight finish). Flags
override the environment the service reads (TWOFA_HOST, TWOFA_PORT, TWOFA_DATA_DIR, TWOFA_WORKERS; see
the server's README for the rest, e.g. a PostgreSQL URL).

Options:
  --host HOST       address to listen on
  --port PORT       port to listen on; 0 picks a free one
  --data-dir DIR    where the service keeps its SQLite database and other state
  --workers N       processes serving requests, sharing the port (default: one per core; 1 serves
                    in this process)

Example:
  twofa serve --port 8080 --data-dir ./twofa-data --workers 2
`,
  async run(args, io) {
    const { values } = parseOptions('serve', args, OPTIONS, 0);
    const env = { ...io.env };
    if (values.host !== undefined) env.TWOFA_HOST = values.host;
    if (values.port !== undefined)
      env.TWOFA_PORT = String(parseIntegerOption(values.port, '--port', 0, 65535));
    // Relative to the command's working directory, which the service (reading process.cwd()) may not share.
    if (values['data-dir'] !== undefined) env.TWOFA_DATA_DIR = resolve(io.cwd, values['data-dir']);
    if (values.workers !== undefined)
      env.TWOFA_WORKERS = String(parseIntegerOption(values.workers, '--workers', 1, 256));
    const stop = io.stopSignal();
    // Loaded here, not at the top: no other command should pay for (or depend on) the server's code.
    const server = await import('@twofa/server');
    let running: Awaited<ReturnType<typeof server.start>>;
    try {
      // Workers write their own log lines to this process's stderr, as the line below does.
      const log = (line: string) => io.stderr.write(`${line}\n`);
      running = await server.start({ env, log, workerLog: 'stderr' });
    } catch (error) {
      if (error instanceof server.ConfigError) throw new CliError(error.message, { cause: error });
      const message = describeListenError(error);
      if (message !== undefined) throw new CliError(message, { cause: error });
      throw error;
    }
    const workers = running.workers === 1 ? '' : `, ${running.workers} workers`;
    io.stderr.write(`twofa serve: listening on ${running.url} (Ctrl-C to stop${workers})\n`);
    if (!stop.aborted)
      await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
    await running.close();
    return 0;
  },
};

/**
 * What to do about a failed listen, naming the port or host and both ways to change it (the flag, and the
 * variable a service manager sets); undefined for errors that are not about the address.
 */
function describeListenError(error: unknown): string | undefined {
  const { code, port, address } = error as { code?: unknown; port?: unknown; address?: unknown };
  const where = typeof port === 'number' ? `port ${port}` : 'the port';
  const on = typeof address === 'string' ? ` on ${address}` : '';
  switch (code) {
    case 'EADDRINUSE':
      return `${where}${on} is already in use (EADDRINUSE): stop what is using it, or choose another port with --port or TWOFA_PORT (0 picks a free one)`;
    case 'EACCES':
      return `not allowed to listen on ${where}${on} (EACCES; ports below 1024 need privileges): choose another port with --port or TWOFA_PORT`;
    case 'EADDRNOTAVAIL':
      return `cannot listen${on}: no such address on this machine (EADDRNOTAVAIL); choose another with --host or TWOFA_HOST`;
    default:
      return undefined;
  }
}
