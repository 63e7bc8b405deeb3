/**
 * Cross-checks against oathtool (OATH Toolkit, an independent C implementation): random secrets, algorithms,
 * digits, periods, times past 2038 and counters past 2^32. Skips with a reason where oathtool is missing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { type Algorithm, generateHOTP, generateTOTP } from '../src/index.ts';
import { seededRandom, withSeed } from './support/random.ts';
import { skipUnlessTool } from './support/tools.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const skip = skipUnlessTool('oathtool');
const CASES = 150;

test(`TOTP agrees with oathtool on ${CASES} random keys and times`, { skip }, () => {
  const random = seededRandom();
  withSeed(random, () => {
    for (let i = 0; i < CASES; i++) {
      const algorithm = random.pick<Algorithm>(['SHA1', 'SHA256', 'SHA512']);
      const digits = random.int(6, 8); // oathtool supports 6 to 8
      const periodSeconds = random.pick([30, 60, 15, 1, 90, random.int(2, 600)]);
      const secret = random.bytes(random.pick([10, 16, 20, 32, 64, random.int(1, 100)]));
      // Up to year ~2500: past 2038 (2^31 s) and past 2^32 s.
      const nowSeconds = random.pick([
        random.int(0, 2 ** 31),
        random.int(2 ** 31, 2 ** 32 + 1e6),
        random.int(0, 1.6e10),
      ]);
      const expected = execFileSync(
        'oathtool',
        [
          `--totp=${algorithm.toLowerCase()}`,
          `--digits=${digits}`,
          `--time-step-size=${periodSeconds}s`,
          `--now=@${nowSeconds}`,
          hex(secret),
        ],
        { encoding: 'utf8' },
      ).trim();
      const ours = generateTOTP({ secret, algorithm, digits, periodSeconds, nowMs: nowSeconds * 1000 });
      assert.equal(
        ours,
        expected,
        `case ${i}: ${algorithm} digits=${digits} period=${periodSeconds} t=${nowSeconds}`,
      );
    }
  });
});

test(`HOTP agrees with oathtool on ${CASES} random keys and 64-bit counters`, { skip }, () => {
  const random = seededRandom();
  withSeed(random, () => {
    for (let i = 0; i < CASES; i++) {
      const digits = random.int(6, 8);
      const secret = random.bytes(random.pick([16, 20, 32, random.int(1, 80)]));
      const counter = random.pick([
        BigInt(random.int(0, 1000)),
        (1n << 32n) + BigInt(random.int(0, 2 ** 31)),
        (BigInt(random.int(0, 2 ** 31)) << 32n) | BigInt(random.int(0, 2 ** 32 - 1)),
        (1n << 64n) - 1n - BigInt(random.int(0, 10)),
      ]);
      const expected = execFileSync('oathtool', [`--digits=${digits}`, `--counter=${counter}`, hex(secret)], {
        encoding: 'utf8',
      }).trim();
      assert.equal(
        generateHOTP({ secret, digits, counter }),
        expected,
        `case ${i}: counter=${counter} digits=${digits}`,
      );
    }
  });
});
