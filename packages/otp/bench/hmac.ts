/**
 * HMAC over an 8-byte counter (the HOTP/TOTP message) with a reused key: our prepared `counter()` against
 * node:crypto's `createHmac` (Buffer key, and KeyObject from `createSecretKey`), and against
 * `openssl speed -hmac sha1 -bytes 16` when openssl is installed.
 *
 * Run alone: `node packages/otp/bench/hmac.ts`. The main bench may import `benchHMAC()`.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Algorithm } from '../src/internal/algorithm.ts';
import { prepareHMAC } from '../src/internal/hmac.ts';
import { compare, formatRate, median } from './measure.ts';
import { opensslHMACRate } from './openssl.ts';

/** One measured line. */
export interface Row {
  /** What is measured, e.g. `HMAC-SHA1, 8-byte counter, reused key`. */
  readonly group: string;
  /** Who is measured, e.g. `twofa prepareHMAC().counter()`. */
  readonly name: string;
  /** Median operations per second over the rounds. */
  readonly opsPerSecond: number;
  readonly note?: string;
}

const NODE_NAMES: Record<Algorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

function counterMessage(lo: number): Buffer {
  const message = Buffer.alloc(8);
  message.writeUInt32BE(lo >>> 0, 4);
  return message;
}

function nodeHMAC(algorithm: Algorithm, key: Buffer | KeyObject): () => Buffer {
  const name = NODE_NAMES[algorithm];
  let counter = 0;
  return () => createHmac(name, key).update(counterMessage(counter++)).digest();
}

/**
 * Median operations per CPU-second (user time) of `run`: how `openssl speed` counts unless given
 * `-elapsed`. On a shared, busy machine wall-clock rates fall with the load while openssl's does not,
 * so the SHA-1 comparison is also made on this basis.
 */
function cpuRate(run: () => unknown, rounds = 5, roundMs = 200): number {
  let sink: unknown;
  const rates: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    let ops = 0;
    const start = process.cpuUsage().user;
    let usedMicros = 0;
    while (usedMicros < roundMs * 1000) {
      for (let i = 0; i < 10_000; i++) sink = run();
      ops += 10_000;
      usedMicros = process.cpuUsage().user - start;
    }
    if (r > 0) rates.push((ops * 1e6) / usedMicros); // round 0 warms up the JIT
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return median(rates);
}

/** Per algorithm: our counter() and node:crypto, interleaved; for SHA-1 also openssl. */
export async function benchHMAC(): Promise<Row[]> {
  const rows: Row[] = [];
  const key = Buffer.from('12345678901234567890'); // RFC 4226 Appendix D test key, not a secret
  const keyObject = createSecretKey(key);
  for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
    const group = `HMAC-${algorithm}, 8-byte counter, reused key`;
    const prepared = prepareHMAC(algorithm, key);
    let counter = 0;
    const measured = compare([
      { name: 'twofa prepareHMAC().counter()', run: () => prepared.counter(0, counter++ >>> 0) },
      { name: 'node:crypto createHmac(Buffer key)', run: nodeHMAC(algorithm, key) },
      { name: 'node:crypto createHmac(KeyObject)', run: nodeHMAC(algorithm, keyObject) },
    ]);
    for (const m of measured) rows.push({ group, name: m.name, opsPerSecond: m.opsPerSecond });
    if (algorithm === 'SHA1') {
      const perCPU = cpuRate(() => prepared.counter(0, counter++ >>> 0));
      rows.push({ group, name: 'twofa counter(), per CPU-second', opsPerSecond: perCPU });
      const openssl = opensslHMACRate();
      if (openssl !== undefined) {
        const wall = (100 * measured[0]!.opsPerSecond) / openssl;
        const cpu = (100 * perCPU) / openssl;
        rows.push({
          group,
          name: 'openssl speed -hmac sha1 -bytes 16',
          opsPerSecond: openssl,
          note: `per CPU-second; twofa reaches ${cpu.toFixed(1)}% of it (${wall.toFixed(1)}% by wall clock)`,
        });
      }
    }
  }
  return rows;
}

if (import.meta.main) {
  console.log(`Node ${process.version}; medians of 5 interleaved rounds of ~200 ms`);
  let group = '';
  for (const row of await benchHMAC()) {
    if (row.group !== group) {
      group = row.group;
      console.log(group);
    }
    const note = row.note === undefined ? '' : `  (${row.note})`;
    console.log(`  ${row.name.padEnd(38)} ${formatRate(row.opsPerSecond).padStart(9)}${note}`);
  }
}
