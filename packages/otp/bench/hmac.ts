/**
 * HMAC over an 8-byte counter (the HOTP/TOTP message) with a reused key: our prepared `counter()` against
 * node:crypto's `createHmac` (Buffer key, and KeyObject from `createSecretKey`), and against
 * `openssl speed -hmac sha1 -bytes 16` when openssl is installed.
 *
 * Run alone: `node packages/otp/bench/hmac.ts`. The main bench imports `benchHMAC()`.
 */
import { spawnSync } from 'node:child_process';
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Algorithm } from '../src/internal/algorithm.ts';
import { prepareHMAC } from '../src/internal/hmac.ts';

/** One measured line. */
export interface Row {
  /** What is measured, e.g. `HMAC-SHA1 8-byte counter`. */
  readonly group: string;
  /** Who is measured, e.g. `@twofa/otp prepareHMAC().counter()`. */
  readonly name: string;
  /** Median of the rounds, operations per second. */
  readonly opsPerSec: number;
  readonly note?: string;
}

const ROUNDS = 5;
const ROUND_MS = 200;
const NODE_NAMES: Record<Algorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

/** Median ops/s over `ROUNDS` rounds of about `ROUND_MS` each; `run(n)` performs n operations. */
function measure(run: (n: number) => number): number {
  // Warm up and calibrate: grow n until one batch takes a measurable time.
  let n = 1000;
  for (;;) {
    const start = performance.now();
    run(n);
    const ms = performance.now() - start;
    if (ms > 20) {
      n = Math.max(1, Math.round((n * ROUND_MS) / ms));
      break;
    }
    n *= 4;
  }
  const rates: number[] = [];
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    sink ^= run(n);
    rates.push((n * 1000) / (performance.now() - start));
  }
  if (sink === 0.5) console.log(sink); // keeps the results observable
  rates.sort((a, b) => a - b);
  return rates[ROUNDS >> 1]!;
}

function counterBytes(i: number): Buffer {
  const message = Buffer.alloc(8);
  message.writeUInt32BE(i >>> 0, 4);
  return message;
}

function benchOurs(algorithm: Algorithm, key: Uint8Array): number {
  const prepared = prepareHMAC(algorithm, key);
  return measure((n) => {
    let x = 0;
    for (let i = 0; i < n; i++) x ^= prepared.counter(0, i)[19]!;
    return x;
  });
}

function benchNode(algorithm: Algorithm, key: Buffer | KeyObject): number {
  const name = NODE_NAMES[algorithm];
  return measure((n) => {
    let x = 0;
    for (let i = 0; i < n; i++) x ^= createHmac(name, key).update(counterBytes(i)).digest()[19]!;
    return x;
  });
}

/** HMAC-SHA1 operations per second on 16-byte messages from `openssl speed`, or undefined. */
export function opensslHMACSHA1Rate(): number | undefined {
  const result = spawnSync('openssl', ['speed', '-hmac', 'sha1', '-seconds', '1', '-bytes', '16'], {
    encoding: 'utf8',
  });
  if (result.status !== 0) return undefined;
  // The last line reads `hmac(sha1)  63576.11k`: thousands of bytes per second.
  const match = /^hmac\(sha1\)\s+([\d.]+)k/m.exec(result.stdout);
  return match ? (Number(match[1]) * 1000) / 16 : undefined;
}

/** Every row: per algorithm our counter() and node:crypto, then openssl for SHA-1. */
export async function benchHMAC(): Promise<Row[]> {
  const rows: Row[] = [];
  const key = Buffer.from('12345678901234567890'); // RFC 4226 Appendix D test key (not a secret)
  const keyObject = createSecretKey(key);
  let ourSHA1 = 0;
  for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
    const group = `HMAC-${algorithm} 8-byte counter, reused key`;
    const ours = benchOurs(algorithm, key);
    if (algorithm === 'SHA1') ourSHA1 = ours;
    rows.push({ group, name: '@twofa/otp prepareHMAC().counter()', opsPerSec: ours });
    rows.push({ group, name: 'node:crypto createHmac(Buffer key)', opsPerSec: benchNode(algorithm, key) });
    rows.push({
      group,
      name: 'node:crypto createHmac(KeyObject)',
      opsPerSec: benchNode(algorithm, keyObject),
    });
  }
  const openssl = opensslHMACSHA1Rate();
  if (openssl !== undefined) {
    rows.push({
      group: 'HMAC-SHA1 8-byte counter, reused key',
      name: 'openssl speed -hmac sha1 -bytes 16',
      opsPerSec: openssl,
      note: `@twofa/otp reaches ${((100 * ourSHA1) / openssl).toFixed(1)}% of it`,
    });
  }
  return rows;
}

function format(rows: readonly Row[]): string {
  const lines: string[] = [];
  let group = '';
  for (const row of rows) {
    if (row.group !== group) {
      group = row.group;
      lines.push(group);
    }
    const rate = Math.round(row.opsPerSec).toLocaleString('en-US').padStart(12);
    lines.push(`  ${row.name.padEnd(40)} ${rate} ops/s${row.note ? `  (${row.note})` : ''}`);
  }
  return lines.join('\n');
}

if (import.meta.main) {
  console.log(`Node ${process.version}, medians of ${ROUNDS} rounds of ~${ROUND_MS} ms`);
  console.log(format(await benchHMAC()));
}
