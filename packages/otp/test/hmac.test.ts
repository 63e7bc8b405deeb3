import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { OTPError } from '../src/errors.ts';
import type { Algorithm } from '../src/internal/algorithm.ts';
import { hmac, prepareHMAC } from '../src/internal/hmac.ts';
import { seededRandom, withSeed } from './support/random.ts';

interface HMACVector {
  case: number;
  algorithm: Algorithm;
  key: string;
  data: string;
  dataText: string;
  truncateBytes?: number;
  digest: string;
}

const load = (name: string): HMACVector[] =>
  (
    JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8')) as {
      vectors: HMACVector[];
    }
  ).vectors;

const NODE_NAMES: Record<Algorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };
const BLOCK_BYTES: Record<Algorithm, number> = { SHA1: 64, SHA256: 64, SHA512: 128 };
const DIGEST_BYTES: Record<Algorithm, number> = { SHA1: 20, SHA256: 32, SHA512: 64 };
const ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;
const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function nodeHMAC(algorithm: Algorithm, key: Uint8Array, message: Uint8Array): string {
  return createHmac(NODE_NAMES[algorithm], key).update(message).digest('hex');
}

function counterBytes(hi: number, lo: number): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, hi);
  view.setUint32(4, lo);
  return bytes;
}

for (const [source, file] of [
  ['RFC 2202', 'hmac-rfc2202.json'],
  ['RFC 4231', 'hmac-rfc4231.json'],
] as const) {
  load(file).forEach((row, index) => {
    test(`${source} #${index}: test case ${row.case}, HMAC-${row.algorithm}, data ${row.dataText.slice(0, 40)}`, () => {
      const key = fromHex(row.key);
      const data = fromHex(row.data);
      const cut = (bytes: Uint8Array) => hex(bytes.subarray(0, row.truncateBytes ?? bytes.length));
      assert.equal(cut(hmac(row.algorithm, key, data)), row.digest, 'hmac()');
      assert.equal(cut(prepareHMAC(row.algorithm, key).digest(data)), row.digest, 'prepareHMAC().digest()');
      if (data.length === 8) {
        // Test case 1's data "Hi There" is 8 bytes: the counter path must give the RFC's value too.
        const view = new DataView(data.buffer, data.byteOffset);
        const counter = prepareHMAC(row.algorithm, key).counter(view.getUint32(0), view.getUint32(4));
        assert.equal(cut(counter), row.digest, 'prepareHMAC().counter()');
      }
    });
  });
}

test('the RFC vectors include an 8-byte message per algorithm, so the counter path meets an RFC value', () => {
  const rows = [...load('hmac-rfc2202.json'), ...load('hmac-rfc4231.json')];
  for (const algorithm of ALGORITHMS) {
    assert.ok(rows.some((row) => row.algorithm === algorithm && row.data.length === 16));
  }
});

const rfc4226 = JSON.parse(readFileSync(new URL('./vectors/hmac-rfc4226.json', import.meta.url), 'utf8')) as {
  key: string;
  vectors: { counter: number; hmac: string }[];
};
const rfc4226Key = prepareHMAC('SHA1', fromHex(rfc4226.key));

rfc4226.vectors.forEach((row, index) => {
  test(`RFC 4226 Appendix D #${index}: HMAC-SHA1 of counter ${row.counter} via counter()`, () => {
    assert.equal(hex(rfc4226Key.counter(0, row.counter)), row.hmac);
    assert.equal(hex(hmac('SHA1', fromHex(rfc4226.key), counterBytes(0, row.counter))), row.hmac);
  });
});

test('HMAC agrees with node:crypto for random algorithms, key lengths 0..300 and message lengths 0..300', () => {
  const random = seededRandom();
  withSeed(random, () => {
    let checks = 0;
    for (const algorithm of ALGORITHMS) {
      const block = BLOCK_BYTES[algorithm];
      // Keys exactly the block size and one either side, empty, and longer than two blocks.
      const keyLengths = [0, 1, 20, block - 1, block, block + 1, 2 * block + 3, 300];
      const messageLengths = [0, 1, 8, 55, 56, 63, 64, 65, 111, 112, 119, 120, 127, 128, 129, 300];
      for (const keyLength of keyLengths) {
        for (const messageLength of messageLengths) {
          const key = random.bytes(keyLength);
          const message = random.bytes(messageLength);
          const expected = nodeHMAC(algorithm, key, message);
          assert.equal(
            hex(hmac(algorithm, key, message)),
            expected,
            `${algorithm} ${keyLength}/${messageLength}`,
          );
          checks++;
        }
      }
    }
    for (let i = 0; i < 3000; i++) {
      const algorithm = random.pick(ALGORITHMS);
      const key = random.bytes(random.int(0, 300));
      const message = random.bytes(random.int(0, 300));
      const expected = nodeHMAC(algorithm, key, message);
      const label = `${algorithm}, key ${key.length} bytes, message ${message.length} bytes`;
      assert.equal(hex(hmac(algorithm, key, message)), expected, label);
      checks++;
    }
    assert.ok(checks > 3000);
  });
});

test('counter(hi, lo) agrees with node:crypto over the 8-byte big-endian counter, edges included', () => {
  const random = seededRandom();
  withSeed(random, () => {
    const EDGES = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
    for (let i = 0; i < 2000; i++) {
      const algorithm = random.pick(ALGORITHMS);
      const block = BLOCK_BYTES[algorithm];
      const key = random.bytes(
        random.pick([0, 10, 20, 32, 64, block - 1, block, block + 1, random.int(0, 300)]),
      );
      const prepared = prepareHMAC(algorithm, key);
      for (let j = 0; j < 4; j++) {
        const hi = random.next() < 0.3 ? random.pick(EDGES) : random.int(0, 0xffffffff);
        const lo = random.next() < 0.3 ? random.pick(EDGES) : random.int(0, 0xffffffff);
        const expected = nodeHMAC(algorithm, key, counterBytes(hi, lo));
        assert.equal(hex(prepared.counter(hi, lo)), expected, `${algorithm}, key ${key.length}, ${hi}:${lo}`);
      }
    }
  });
});

test('counter() covers every edge pair of hi and lo for every algorithm', () => {
  const EDGES = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff];
  for (const algorithm of ALGORITHMS) {
    const key = new TextEncoder().encode('12345678901234567890');
    const prepared = prepareHMAC(algorithm, key);
    for (const hi of EDGES) {
      for (const lo of EDGES) {
        const expected = nodeHMAC(algorithm, key, counterBytes(hi, lo));
        assert.equal(hex(prepared.counter(hi, lo)), expected, `${algorithm} ${hi}:${lo}`);
      }
    }
  }
});

test('counter() reuses one output buffer per key; digest() returns a new array', () => {
  for (const algorithm of ALGORITHMS) {
    const prepared = prepareHMAC(algorithm, new Uint8Array(16).fill(9));
    const first = prepared.counter(0, 1);
    const firstHex = hex(first);
    const second = prepared.counter(0, 2);
    assert.equal(second, first, 'same buffer');
    assert.notEqual(hex(second), firstHex, 'overwritten by the next call');
    assert.equal(first.length, DIGEST_BYTES[algorithm]);
    assert.equal(prepared.digestBytes, DIGEST_BYTES[algorithm]);
    assert.equal(prepared.algorithm, algorithm);
    const message = new Uint8Array(5);
    assert.notEqual(prepared.digest(message), prepared.digest(message));
  }
});

test('a prepared key gives the same results however its calls and other keys are interleaved', () => {
  const random = seededRandom();
  withSeed(random, () => {
    const keys = ALGORITHMS.map((algorithm) => ({ algorithm, key: random.bytes(random.int(0, 200)) }));
    const prepared = keys.map(({ algorithm, key }) => prepareHMAC(algorithm, key));
    for (let i = 0; i < 300; i++) {
      const which = random.int(0, keys.length - 1);
      const { algorithm, key } = keys[which]!;
      if (random.next() < 0.5) {
        const lo = random.int(0, 0xffffffff);
        const expected = nodeHMAC(algorithm, key, counterBytes(0, lo));
        assert.equal(hex(prepared[which]!.counter(0, lo)), expected);
      } else {
        const message = random.bytes(random.int(0, 300));
        assert.equal(hex(prepared[which]!.digest(message)), nodeHMAC(algorithm, key, message));
      }
    }
  });
});

test('prepareHMAC leaves the caller key untouched, short or longer than a block', () => {
  for (const algorithm of ALGORITHMS) {
    for (const length of [20, BLOCK_BYTES[algorithm] + 50]) {
      const key = new Uint8Array(length).map((_, i) => i + 1);
      const copy = key.slice();
      prepareHMAC(algorithm, key).counter(0, 0);
      assert.deepEqual(key, copy, `${algorithm}, ${length}-byte key`);
    }
  }
});

test('prepareHMAC refuses an unknown algorithm with UNSUPPORTED_ALGORITHM', () => {
  assert.throws(
    () => prepareHMAC('MD5' as Algorithm, new Uint8Array(20)),
    (error: unknown) => error instanceof OTPError && error.code === 'UNSUPPORTED_ALGORITHM',
  );
});
