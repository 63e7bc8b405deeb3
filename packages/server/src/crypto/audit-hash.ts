/**
 * The audit log's hash chain: each event's hash is SHA-256 over the previous event's hash and the event's
 * own canonical content, so an event cannot be changed, removed or slipped in without breaking a link.
 * Plain SHA-256 with no key: anyone holding the database (an auditor, `twofa audit verify`) can check the
 * chain, and nothing secret is needed or learnt.
 *
 * Content, exactly (so that other tools can recompute it): JSON.stringify of the array
 * `[seq, at_ms, user_id, type, ip, user_agent, request_id, details]`, where `details` is the stored
 * canonical JSON text (a string inside the array). Hash: lower-case hex SHA-256 of the UTF-8 bytes of
 * `prev_hash + "\n" + content`.
 */
import { createHash } from 'node:crypto';

/** The hash the first event chains from: 64 zeros, the width of a hex SHA-256 (FIPS 180-4: 256 bits). */
export const GENESIS_HASH = '0'.repeat(64);

/** The columns an event's hash covers: every column except `prev_hash` and `hash`. */
export interface AuditContent {
  readonly seq: number;
  readonly at_ms: number;
  readonly user_id: string | null;
  readonly type: string;
  readonly ip: string | null;
  readonly user_agent: string | null;
  readonly request_id: string | null;
  /** Canonical JSON text (see {@link canonicalJson}). */
  readonly details: string;
}

/**
 * The deterministic string an event's hash covers. The column order is fixed here; `seq` is part of it, so
 * renumbering an event changes its hash.
 */
export function canonicalAuditContent(row: AuditContent): string {
  return JSON.stringify([
    row.seq,
    row.at_ms,
    row.user_id,
    row.type,
    row.ip,
    row.user_agent,
    row.request_id,
    row.details,
  ]);
}

/** Lower-case hex SHA-256 over `prevHash + "\n" + content`. */
export function auditHash(prevHash: string, content: string): string {
  return createHash('sha256').update(`${prevHash}\n${content}`, 'utf8').digest('hex');
}

/** A JSON value `canonicalJson` accepts. */
export type CanonicalJsonValue =
  | null
  | boolean
  | number
  | string
  | readonly CanonicalJsonValue[]
  | { readonly [key: string]: CanonicalJsonValue };

/**
 * JSON with object keys sorted (by UTF-16 code unit, as `Array.prototype.sort` orders them) and no
 * whitespace, so equal values always give the same text. Refuses what JSON.stringify would silently change
 * or drop (NaN and the infinities become null, undefined vanishes), naming the path at fault.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

function encode(value: unknown, path: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path} is ${value}, which JSON cannot hold`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value))
    return `[${value.map((item, index) => encode(item, `${path}[${index}]`)).join(',')}]`;
  if (typeof value === 'object' && isPlainObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .map(
        (key) =>
          `${JSON.stringify(key)}:${encode((value as Record<string, unknown>)[key], `${path}.${key}`)}`,
      );
    return `{${entries.join(',')}}`;
  }
  throw new TypeError(`${path} is ${describe(value)}, which JSON cannot hold`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'object')
    return `an object of class ${(value as object).constructor?.name ?? 'unknown'}`;
  return `a ${typeof value}`;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
