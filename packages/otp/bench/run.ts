/**
 * `npm run bench`: @twofa/otp beside its peers (otpauth, otplib) in one process, interleaved rounds, medians.
 * Then the size each library adds to a browser bundle (esbuild, minified and gzip).
 * Prints ops/s and the ratios the otp issue sets as targets:
 *   - wrong-code verify (window +-1) with a fresh key: twofa / otpauth >= 20
 *   - HMAC-SHA1 rate with a reused key: >= 50% of `openssl speed -hmac sha1` at 16-byte blocks
 */
import { version as esbuildVersion } from 'esbuild';
import * as OTPAuth from 'otpauth';
import { generateSync as otplibGenerate, verifySync as otplibVerify } from 'otplib';
import { encodeBase32, generateSecret, generateTOTP, prepareTOTP, verifyTOTP } from '../src/index.ts';
import { measureBundleSizes } from './bundle-size.ts';
import { benchHMAC } from './hmac.ts';
import { type Contender, compare, formatRate, type Measured } from './measure.ts';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const roundMs = Number(process.env.BENCH_ROUND_MS ?? 200);

const secretBytes = generateSecret(20);
const secret = encodeBase32(secretBytes, { padding: false });
const nowMs = Date.now();
const valid = generateTOTP({ secret, nowMs });
// A wrong code that is not valid anywhere in the +-1 window.
const preparedForWrong = prepareTOTP({ secret });
let wrong = '000000';
for (let n = 0; ; n++) {
  wrong = String(n).padStart(6, '0');
  if (!preparedForWrong.verify({ code: wrong, nowMs, window: 1 }).valid) break;
}

const otpauthTotp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
const prepared = prepareTOTP({ secret });
const epoch = Math.floor(nowMs / 1000);

interface Scenario {
  readonly title: string;
  readonly contenders: Contender[];
}

const scenarios: Scenario[] = [
  {
    title: 'generate TOTP, fresh key (base32 secret decoded each call)',
    contenders: [
      { name: 'twofa', run: () => generateTOTP({ secret, nowMs }) },
      {
        name: 'otpauth',
        run: () => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: nowMs }),
      },
      { name: 'otplib', run: () => otplibGenerate({ secret, epoch }) },
    ],
  },
  {
    title: 'verify a valid code, window +-1, fresh key',
    contenders: [
      { name: 'twofa', run: () => verifyTOTP({ secret, code: valid, nowMs, window: 1 }) },
      {
        name: 'otpauth',
        run: () =>
          OTPAuth.TOTP.validate({
            token: valid,
            secret: OTPAuth.Secret.fromBase32(secret),
            timestamp: nowMs,
            window: 1,
          }),
      },
      { name: 'otplib', run: () => otplibVerify({ secret, token: valid, epoch, epochTolerance: 30 }) },
    ],
  },
  {
    title: 'verify a wrong code, window +-1, fresh key',
    contenders: [
      { name: 'twofa', run: () => verifyTOTP({ secret, code: wrong, nowMs, window: 1 }) },
      {
        name: 'otpauth',
        run: () =>
          OTPAuth.TOTP.validate({
            token: wrong,
            secret: OTPAuth.Secret.fromBase32(secret),
            timestamp: nowMs,
            window: 1,
          }),
      },
      { name: 'otplib', run: () => otplibVerify({ secret, token: wrong, epoch, epochTolerance: 30 }) },
    ],
  },
  {
    title: 'verify a wrong code, window +-1, reused key',
    contenders: [
      { name: 'twofa', run: () => prepared.verify({ code: wrong, nowMs, window: 1 }) },
      { name: 'otpauth', run: () => otpauthTotp.validate({ token: wrong, timestamp: nowMs, window: 1 }) },
    ],
  },
];

function printScenario(title: string, measured: readonly Measured[]): void {
  console.log(`\n${title}`);
  const base = measured[0]!;
  for (const m of measured) {
    const ratio = m === base ? '' : `  (twofa is ${(base.opsPerSecond / m.opsPerSecond).toFixed(1)}x)`;
    console.log(`  ${m.name.padEnd(36)} ${formatRate(m.opsPerSecond).padStart(10)}${ratio}`);
  }
}

console.log(`@twofa/otp benchmark: node ${process.version}, ${rounds} rounds x ${roundMs} ms, medians`);
const byTitle = new Map<string, Measured[]>();
for (const scenario of scenarios) {
  const measured = compare(scenario.contenders, { rounds, roundMs });
  byTitle.set(scenario.title, measured);
  printScenario(scenario.title, measured);
}

const rate = (title: string, name: string): number =>
  byTitle.get(title)?.find((m) => m.name === name)?.opsPerSecond ?? Number.NaN;

const hmacRows = await benchHMAC();
let group = '';
for (const row of hmacRows) {
  if (row.group !== group) {
    group = row.group;
    console.log(`\n${group}`);
  }
  console.log(
    `  ${row.name.padEnd(36)} ${formatRate(row.opsPerSecond).padStart(10)}${row.note ? `  (${row.note})` : ''}`,
  );
}
console.log('\nTargets (ratios measured in this run):');
const wrongFresh = 'verify a wrong code, window +-1, fresh key';
const ratio = rate(wrongFresh, 'twofa') / rate(wrongFresh, 'otpauth');
console.log(
  `  wrong-code verify, fresh key: twofa / otpauth = ${ratio.toFixed(1)}x (target >= 20x) ${ratio >= 20 ? 'OK' : 'MISSED'}`,
);
const sha1 = (name: string): number =>
  hmacRows.find((r) => r.group.startsWith('HMAC-SHA1,') && r.name === name)?.opsPerSecond ?? Number.NaN;
const openssl = sha1('openssl speed -hmac sha1 -bytes 16');
if (Number.isNaN(openssl)) {
  console.log('  HMAC vs openssl: skipped (openssl not found on PATH)');
} else {
  // openssl speed reports per CPU-second (user time); compare like with like, and show wall clock too.
  const perCPU = sha1('twofa counter(), per CPU-second') / openssl;
  const wall = sha1('twofa prepareHMAC().counter()') / openssl;
  console.log(
    `  HMAC-SHA1 reused key: twofa = ${(perCPU * 100).toFixed(0)}% of openssl speed -hmac sha1 16-byte per CPU-second ` +
      `(${(wall * 100).toFixed(0)}% by wall clock) (target >= 50%) ${perCPU >= 0.5 ? 'OK' : 'MISSED'}`,
  );
}

const sizes = await measureBundleSizes();
const kB = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`;
console.log(`\nBundle size (esbuild ${esbuildVersion}, browser ESM, minified / gzip -9):`);
for (const entry of new Set(sizes.map((size) => size.entry))) {
  console.log(`  ${entry}`);
  for (const size of sizes.filter((s) => s.entry === entry)) {
    console.log(
      `    ${size.library.padEnd(34)} ${kB(size.minifiedBytes).padStart(9)} / ${kB(size.gzipBytes)}`,
    );
  }
}
