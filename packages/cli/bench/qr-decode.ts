/**
 * `npm run bench -w @twofa/cli`: how often each QR reader gets a Google Authenticator export (or a key URI)
 * back out of a screenshot that has been rotated, scaled, blurred or saved as a JPEG, as phones and
 * messengers do to them. Readers: jsQR 1.4 (what `twofa import --image` used), `qr` (paulmillr, zero
 * dependencies) and, as the independent reference, zbarimg (Debian zbar-tools).
 *
 * Screenshots are made here: each payload's QR code (medium error correction, about 500 px wide, as a phone
 * shows it) on a 720 x 1280 light-grey screen at an offset, with a dark bar above like an app's title. Each
 * is then distorted with ImageMagick `convert` (Debian imagemagick). Both JavaScript readers get the same
 * RGBA pixels (PNG via pngjs, JPEG via jpeg-js); zbarimg reads the file. A read counts only when its text
 * equals the payload exactly.
 *
 * Needs `convert` and `zbarimg` on PATH (apt-get install imagemagick zbar-tools).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKeyURI, buildMigrationURIs, type OTPKeyInput } from '@twofa/otp';
import jpeg from 'jpeg-js';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import encodeQR from 'qr';
import decodeQR from 'qr/decode.js';

const SCREEN = { width: 720, height: 1280 };
/** The code spans about 70% of the screen's width, as authenticator apps and sign-up pages show it. */
const CODE_WIDTH_PX = 500;

function accounts(count: number, seed: number): OTPKeyInput[] {
  return Array.from({ length: count }, (_, i) => ({
    // A fixed secret per account: the bench needs repeatable images, not secrecy.
    secret: Uint8Array.from({ length: 20 }, (_, j) => (seed * 97 + i * 31 + j * 7) & 255),
    account: `user${i + 1}@example.com`,
    issuer: `Service ${i + 1}`,
  }));
}

/** Two of each kind (different secrets, so different module patterns). */
const PAYLOADS: [name: string, text: string][] = [1, 2].flatMap((seed): [string, string][] => [
  ['key URI', buildKeyURI(accounts(1, seed)[0]!)],
  ['export, 1 account', buildMigrationURIs(accounts(1, seed), { batchId: seed })[0]!],
  ['export, 5 accounts', buildMigrationURIs(accounts(5, seed), { batchId: seed })[0]!],
  ['export, 10 accounts', buildMigrationURIs(accounts(10, seed), { batchId: seed })[0]!],
]);

/** [name, convert arguments between input and output, output extension] */
const DISTORTIONS: [name: string, args: string[], ext: 'png' | 'jpg'][] = [
  ['as rendered', [], 'png'],
  ['rotated 5 deg', ['-background', '#eeeeee', '-rotate', '5'], 'png'],
  ['rotated 15 deg', ['-background', '#eeeeee', '-rotate', '15'], 'png'],
  ['rotated 30 deg', ['-background', '#eeeeee', '-rotate', '30'], 'png'],
  ['rotated 45 deg', ['-background', '#eeeeee', '-rotate', '45'], 'png'],
  ['rotated 90 deg', ['-rotate', '90'], 'png'],
  ['scaled 0.5x', ['-resize', '50%'], 'png'],
  ['scaled 2x', ['-resize', '200%'], 'png'],
  ['blurred (sigma 1)', ['-blur', '0x1'], 'png'],
  ['blurred (sigma 1.5)', ['-blur', '0x1.5'], 'png'],
  ['blurred (sigma 2)', ['-blur', '0x2'], 'png'],
  ['JPEG quality 70', ['-quality', '70'], 'jpg'],
  ['JPEG quality 50', ['-quality', '50'], 'jpg'],
  ['JPEG quality 30', ['-quality', '30'], 'jpg'],
  ['0.5x, JPEG 50', ['-resize', '50%', '-quality', '50'], 'jpg'],
  [
    '15 deg, blur 1, JPEG 70',
    ['-background', '#eeeeee', '-rotate', '15', '-blur', '0x1', '-quality', '70'],
    'jpg',
  ],
  [
    '0.5x, 5 deg, JPEG 50',
    ['-resize', '50%', '-background', '#eeeeee', '-rotate', '5', '-quality', '50'],
    'jpg',
  ],
  [
    '2x, 45 deg, JPEG 30',
    ['-resize', '200%', '-background', '#eeeeee', '-rotate', '45', '-quality', '30'],
    'jpg',
  ],
];

/** A phone-like screenshot: grey screen, a dark title bar, the code with a white quiet zone off-centre. */
function screenshot(text: string): Buffer {
  const modules = encodeQR(text, 'raw', { ecc: 'medium', border: 4 });
  const MODULE_PX = Math.max(2, Math.floor(CODE_WIDTH_PX / modules.length));
  const png = new PNG(SCREEN);
  png.data.fill(0xee);
  for (let y = 0; y < 120; y++) png.data.fill(0x30, y * SCREEN.width * 4, (y + 1) * SCREEN.width * 4);
  const left = Math.floor((SCREEN.width - modules.length * MODULE_PX) / 2) + 20;
  const top = 300;
  for (const [my, row] of modules.entries()) {
    for (const [mx, dark] of row.entries()) {
      const value = dark ? 0 : 255;
      for (let dy = 0; dy < MODULE_PX; dy++) {
        const offset = ((top + my * MODULE_PX + dy) * SCREEN.width + left + mx * MODULE_PX) * 4;
        for (let dx = 0; dx < MODULE_PX; dx++) png.data.fill(value, offset + dx * 4, offset + dx * 4 + 3);
      }
    }
  }
  return PNG.sync.write(png);
}

interface Pixels {
  width: number;
  height: number;
  data: Uint8Array;
}

function readPixels(file: string): Pixels {
  const bytes = readFileSync(file);
  if (file.endsWith('.jpg')) return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  return PNG.sync.read(bytes);
}

type Reader = (file: string, pixels: Pixels) => string | undefined;

const READERS: [name: string, read: Reader][] = [
  [
    'jsQR 1.4',
    (_file, { width, height, data }) =>
      jsQR.default(new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), width, height)?.data,
  ],
  [
    'qr 0.7',
    (_file, image) => {
      try {
        return decodeQR(image);
      } catch {
        return undefined;
      }
    },
  ],
  [
    'qr 0.7, effort 16',
    (_file, image) => {
      try {
        // A file is not a camera frame: allow retries (more finder-pattern hypotheses) for up to 2 s.
        return decodeQR(image, { effort: 16, timeLimit: 2000 });
      } catch {
        return undefined;
      }
    },
  ],
  [
    'zbarimg',
    (file) => {
      const result = spawnSync('zbarimg', ['-q', '--raw', file], { encoding: 'utf8' });
      return result.status === 0 ? result.stdout.replace(/\n$/, '') : undefined;
    },
  ],
];

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
}

const dir = mkdtempSync(join(tmpdir(), 'twofa-qr-bench-'));
try {
  const wins = READERS.map(() => 0);
  const millis = READERS.map(() => [] as number[]);
  const rows: string[] = [];
  for (const [distortion, args, ext] of DISTORTIONS) {
    const cells = READERS.map(() => 0);
    for (const [index, [, text]] of PAYLOADS.entries()) {
      const original = join(dir, `p${index}.png`);
      writeFileSync(original, screenshot(text));
      const file = join(dir, `p${index}-distorted.${ext}`);
      run('convert', [original, ...args, file]);
      const pixels = readPixels(file);
      for (const [r, [, read]] of READERS.entries()) {
        const start = performance.now();
        const found = read(file, pixels);
        millis[r]!.push(performance.now() - start);
        if (found === text) {
          cells[r]!++;
          wins[r]!++;
        }
      }
    }
    rows.push(`| ${distortion} | ${cells.map((n) => `${n}/${PAYLOADS.length}`).join(' | ')} |`);
  }
  const total = DISTORTIONS.length * PAYLOADS.length;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  const kinds = PAYLOADS.slice(0, 4).map(([name, text]) => `${name} (${text.length} chars)`);
  console.log(`Payloads, two of each: ${kinds.join(', ')}`);
  console.log(`Node ${process.version}\n`);
  console.log(`| screenshot | ${READERS.map(([name]) => name).join(' | ')} |`);
  console.log(`|---|${READERS.map(() => '---:').join('|')}|`);
  for (const row of rows) console.log(row);
  console.log(
    `| **all ${total} images** | ${wins.map((n) => `**${n}/${total} (${Math.round((100 * n) / total)}%)**`).join(' | ')} |`,
  );
  console.log(
    `| median time per image | ${millis.map((m, r) => `${median(m).toFixed(0)} ms${READERS[r]![0] === 'zbarimg' ? ' (a process)' : ''}`).join(' | ')} |`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
