/**
 * Kysely's PostgresDialect over a `pg` Pool. BIGINT (int8) columns hold millisecond times and time steps:
 * this pool parses them to JavaScript numbers (pg's default is a string), refusing any value beyond 2^53,
 * which these columns never reach. The parser is set per pool, not on pg's global type registry.
 */
import { PostgresDialect } from 'kysely';
import pg from 'pg';

/** pg_type oid of int8 (BIGINT), and of the count(*) result. */
const INT8_OID = 20;

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value ${text} is beyond 2^53`);
  return value;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export interface PostgresDialectOptions {
  /**
   * Hears a pooled connection that failed while idle (the server restarted or failed over, a proxy timed it
   * out). pg has already dropped it from the pool, and the next query opens a new one; without a listener
   * pg's 'error' event would end the process.
   */
  readonly onConnectionError?: (error: Error) => void;
  /**
   * How long opening a connection may take before the query that needed it fails (pg's
   * connectionTimeoutMillis; 0 waits for ever). Without it a host that stops answering (a partition, packets
   * dropped by a firewall) hangs every request that needs a new connection.
   * @default CONNECTION_TIMEOUT_MS
   */
  readonly connectionTimeoutMs?: number;
  /** The most connections this pool opens (pg's max). @default 10 */
  readonly poolSize?: number;
  /**
   * How long one statement may run: PostgreSQL cancels it after this (statement_timeout, set for every
   * connection at its start), and pg gives up waiting for the answer QUERY_TIMEOUT_GRACE_MS later
   * (query_timeout) - the only bound when the host went silent, which no server-side setting can cover.
   * Either way the statement fails, the request answers 503, and a connection whose answer never came is
   * closed rather than handed out again. 0 waits for ever.
   * @default QUERY_TIMEOUT_MS
   */
  readonly queryTimeoutMs?: number;
}

/** pg-pool's "never close an idle connection". */
export const IDLE_TIMEOUT_MS = 0;

/** Long enough for a loaded server or a slow TLS handshake, short enough that requests fail instead of pile up. */
export const CONNECTION_TIMEOUT_MS = 5_000;

/** TWOFA_DATABASE_QUERY_TIMEOUT_MS's default: far beyond any statement of this service (milliseconds each). */
export const QUERY_TIMEOUT_MS = 5_000;

/**
 * How much longer than statement_timeout pg waits for an answer: a slow statement is then cancelled by the
 * server, which leaves the connection usable, before pg would give the connection up.
 */
export const QUERY_TIMEOUT_GRACE_MS = 1_000;

/** pg's error when query_timeout ran out before the server answered (it carries no code). */
export function isQueryReadTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Query read timeout';
}

export function createPostgresDialect(
  connectionString: string,
  options: PostgresDialectOptions = {},
): PostgresDialect {
  const queryTimeoutMs = options.queryTimeoutMs ?? QUERY_TIMEOUT_MS;
  const timeouts =
    queryTimeoutMs === 0
      ? {}
      : { statement_timeout: queryTimeoutMs, query_timeout: queryTimeoutMs + QUERY_TIMEOUT_GRACE_MS };
  const pool = new pg.Pool({
    ...timeouts,
    connectionString,
    types,
    max: options.poolSize ?? 10,
    // Connections stay open however long they idle: pg's default closes them after 10 s, and the next burst of
    // requests then waits for new ones in a herd (p99 35 ms instead of 7 ms here, issue #12). A connection the
    // server or a proxy drops is removed by the 'error' listener below and replaced at the next query.
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
  });
  pool.on('error', (error) => options.onConnectionError?.(error));
  // pg-pool listens for a client's errors only while it is idle. A connection ended while checked out between
  // two statements of a transaction (pg_terminate_backend, a failover) would emit 'error' with no listener and
  // end the process. The statement that follows fails instead ("not queryable": a 503) and the pool drops
  // the client on release; an idle one is still reported through the pool's 'error' above.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    endOnReadTimeout(client);
  });
  return new PostgresDialect({ pool });
}

type Query = (...args: unknown[]) => unknown;

/**
 * After pg's query_timeout the statement is still outstanding on the connection: pg rejects the caller but
 * keeps waiting for the answer, and every later statement on that connection would queue behind it and time
 * out in turn, for as long as the host stays silent. Ending the client (pg destroys the socket of a client
 * with a statement in flight) makes the pool drop it when Kysely releases it, and open a fresh one next.
 */
function endOnReadTimeout(client: pg.PoolClient): void {
  const query = client.query.bind(client) as Query;
  (client as unknown as { query: Query }).query = (...args) => {
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if (isQueryReadTimeout(error)) client.end().catch(() => {});
      });
    }
    return result;
  };
}
