import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { parseIntegerOption, parseOptions } from '../options.ts';

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const serve: Command = {
  name: 'serve',
  summary: 'run the twofa web service (sign-up, TOTP enrollment, two-step login)',
  help: `Usage: twofa serve [--host HOST] [--port PORT] [--data-dir DIR]

Runs the @twofa/server web service until Ctrl-C. Flags override the environment the service reads
(TWOFA_HOST, TWOFA_PORT, TWOFA_DATA_DIR; see the server's README for the rest, e.g. a PostgreSQL URL).

Options:
  --host HOST       address to listen on
  --port PORT       port to listen on; 0 picks a free one
  --data-dir DIR    where the service keeps its SQLite database and other state

Example:
  twofa serve --port 8080 --data-dir ./twofa-data
`,
  async run(args, io) {
    const { values } = parseOptions('serve', args, OPTIONS, 0);
    const env = { ...io.env };
    if (values.host !== undefined) env.TWOFA_HOST = values.host;
    if (values.port !== undefined)
      env.TWOFA_PORT = String(parseIntegerOption(values.port, '--port', 0, 65535));
    if (values['data-dir'] !== undefined) env.TWOFA_DATA_DIR = values['data-dir'];
    const stop = io.stopSignal();
    // Loaded here, not at the top: no other command should pay for (or depend on) the server's code.
    const server = await import('@twofa/server');
    let running: Awaited<ReturnType<typeof server.serve>>;
    try {
      running = await server.serve({ env, log: (line: string) => io.stderr.write(`${line}\n`) });
    } catch (error) {
      if (error instanceof server.ConfigError) throw new CliError(error.message, { cause: error });
      const code = (error as { code?: unknown }).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        throw new CliError(`cannot listen on that host and port (${code}); try another --port`, {
          cause: error,
        });
      }
      throw error;
    }
    io.stderr.write(`twofa serve: listening on ${running.url} (Ctrl-C to stop)\n`);
    if (!stop.aborted)
      await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
    await running.close();
    return 0;
  },
};
