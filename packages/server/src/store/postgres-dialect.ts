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
}

/** pg-pool's "never close an idle connection". */
export const IDLE_TIMEOUT_MS = 0;

/** Long enough for a loaded server or a slow TLS handshake, short enough that requests fail instead of pile up. */
export const CONNECTION_TIMEOUT_MS = 5_000;

export function createPostgresDialect(
  connectionString: string,
  options: PostgresDialectOptions = {},
): PostgresDialect {
  const pool = new pg.Pool({
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
  pool.on('connect', (client) => client.on('error', () => {}));
  return new PostgresDialect({ pool });
}
