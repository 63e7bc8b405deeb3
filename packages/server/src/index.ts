/**
 * @twofa/server: `start()` runs the 2FA web service with TWOFA_WORKERS processes (used by `npm start` and
 * `twofa serve`), `serve()` runs it in the calling process; `createApp()` builds the HTTP app without
 * listening (for tests and embedding); `loadConfig()` reads `TWOFA_*` variables.
 */
import { type AddressInfo, Server as NetServer } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createApp } from './app.ts';
import { type Config, loadConfig } from './config.ts';
import { openServices, prepareStorage } from './services/index.ts';

export { type CreateAppOptions, createApp } from './app.ts';
export { AuditLogUnavailableError, type AuditVerification, verifyAuditLog } from './audit.ts';
export { start } from './cluster.ts';
export { type Config, ConfigError, loadConfig } from './config.ts';
export { operatorMessage } from './outcomes.ts';
export { DEFAULT_API_REQUESTS_PER_MINUTE } from './services/limits.ts';
export {
  DEFAULT_USERS_PAGE,
  type KeyStatus,
  MAX_USERS_PAGE,
  type OpenOperatorOptions,
  type OperatorAuditEvent,
  type OperatorServices,
  OperatorUnavailableError,
  type OperatorUser,
  type OperatorUserDetail,
  openOperator,
  type RotationOptions,
  type RotationReport,
  type SecondFactorReset,
  type Unlocked,
  type UserLocks,
} from './services/operator.ts';
export {
  API_SCOPES,
  type ApiKeyView,
  type ApiScope,
  ServiceError,
  type ServiceErrorCode,
} from './services/types.ts';

/** While closing, a connection whose response is done waits this long for another request (0 would mean for ever). */
const CLOSING_KEEP_ALIVE_MS = 1;
/** While closing, connections with no request yet are ended after this long (see close()). */
const CLOSING_IDLE_GRACE_MS = 500;

export interface ServeOptions {
  /** The environment to read `TWOFA_*` from (usually process.env). */
  readonly env: Record<string, string | undefined>;
  /** Receives one JSON line per event. */
  readonly log: (line: string) => void;
  /**
   * The cluster's primary has already run the start-up work (migrations, the master key file, the connection
   * budget): a worker skips it. @default false
   */
  readonly prepared?: boolean;
}

export interface RunningServer {
  /** The public URL: TWOFA_PUBLIC_URL, or http://<host>:<port> with the port actually bound. */
  readonly url: string;
  /** Stops accepting connections, ends idle keep-alive ones, then closes the database. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Serves in this process (whatever TWOFA_WORKERS says; `start()` reads it): loads the config, prepares the
 * storage (migrations, master key, connection budget for one process), opens the services, listens and
 * returns once connections are accepted. Throws ConfigError for a bad `TWOFA_*` variable.
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const config = loadConfig(options.env);
  if (!options.prepared) await prepareStorage({ ...config, workers: 1 }, { log: options.log });
  // With TWOFA_PORT=0 the public URL names the port only once it is bound: links in messages read it then.
  let publicUrl = config.publicUrl;
  const services = await openServices(config, { log: options.log, publicUrl: () => publicUrl });
  let app: ReturnType<typeof createApp> | undefined;
  const server = createAdaptorServer({
    // The app exists before 'listening' resolves, so this 503 is a guard, not a path taken.
    fetch: (request, env) => (app ? app.fetch(request, env) : new Response('starting', { status: 503 })),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await services.close();
    throw error;
  }
  const bound = (server.address() as AddressInfo).port;
  // loadConfig counts an empty variable as unset; so does this.
  const publicUrlGiven = Boolean(options.env.TWOFA_PUBLIC_URL?.trim());
  const effective = withBoundPort(config, bound, publicUrlGiven);
  publicUrl = effective.publicUrl;
  app = createApp({ config: effective, services, log: options.log });
  options.log(
    JSON.stringify({ time: new Date().toISOString(), event: 'listening', url: effective.publicUrl }),
  );
  if (!publicUrlGiven && (config.host === '0.0.0.0' || config.host === '::')) {
    // Browsers never use 0.0.0.0 as an origin, so every form would fail the CSRF origin check.
    options.log(
      JSON.stringify({
        time: new Date().toISOString(),
        event: 'config.warning',
        message:
          'Listening on all interfaces: set TWOFA_PUBLIC_URL to the address browsers use, or forms are refused.',
      }),
    );
  }

  let closing: Promise<void> | undefined;
  return {
    url: effective.publicUrl,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          if (!('closeIdleConnections' in server)) {
            server.close(() => resolve());
            return;
          }
          // Connections that finish a response from now on end at once instead of waiting for another request.
          server.keepAliveTimeout = CLOSING_KEEP_ALIVE_MS;
          // net's close (stop accepting; 'close' once every connection has ended), not http's: http's also
          // destroys every connection without a request in progress, including one accepted a moment ago
          // whose request is not read yet, and a proxy that has sent a POST on it answers 502.
          NetServer.prototype.close.call(server, () => resolve());
          // Connections idle on keep-alive from before would hold the close for their timeout: end them once
          // the just-accepted ones have had time to send their request.
          setTimeout(() => server.closeIdleConnections(), CLOSING_IDLE_GRACE_MS).unref();
        });
        await services.close();
      })();
      return closing;
    },
  };
}

/** With port 0 the real port is known only now; the default public URL must name it (the CSRF origin check). */
function withBoundPort(config: Config, port: number, publicUrlGiven: boolean): Config {
  if (publicUrlGiven || config.port === port) return config;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return { ...config, port, publicUrl: `http://${host}:${port}` };
}
