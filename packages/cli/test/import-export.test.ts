/**
 * twofa import and export: moving accounts out of and into Google Authenticator. Export payloads are built
 * here by an independent protobuf encoder (support/encoding.ts), and images are cross-read by zbarimg.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertUsageError, tempDir, twofa } from './support/cli.ts';
import { base32, migrationURI, readKeyURI, seededBytes } from './support/encoding.ts';
import { skipUnlessTool, zbarimg } from './support/tools.ts';

const ALICE = seededBytes(1, 20);
const BOB = seededBytes(2, 32);
const TOKEN = seededBytes(3, 20);

/** What a Google Authenticator export of three accounts looks like. */
const EXPORT = migrationURI([
  { secret: ALICE, name: 'Example:alice@example.com', issuer: 'Example' },
  { secret: BOB, name: 'bob', issuer: 'Bank & Co', algorithm: 2, digits: 2 },
  { secret: TOKEN, name: 'vpn', type: 1, counter: 42 },
]);

const EXPECTED = [
  {
    type: 'totp',
    label: 'Example:alice@example.com',
    params: { secret: base32(ALICE), issuer: 'Example', algorithm: 'SHA1', digits: '6', period: '30' },
  },
  {
    type: 'totp',
    label: 'Bank & Co:bob',
    params: { secret: base32(BOB), issuer: 'Bank & Co', algorithm: 'SHA256', digits: '8', period: '30' },
  },
  {
    type: 'hotp',
    label: 'vpn',
    params: { secret: base32(TOKEN), algorithm: 'SHA1', digits: '6', counter: '42' },
  },
];

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line !== '');
}

test('import prints one otpauth:// URI per account of an export', async () => {
  const result = await twofa(['import', EXPORT]);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  assert.deepEqual(lines(result.stdout).map(readKeyURI), EXPECTED);
});

test('import - reads export URIs from stdin, one per line', async () => {
  const second = migrationURI([{ secret: ALICE, name: 'carol', issuer: 'Other' }], {
    size: 2,
    index: 1,
    id: 7,
  });
  const result = await twofa(['import', '-'], { input: `${EXPORT}\n\n${second}\n` });
  assert.equal(result.status, 0, result.stderr);
  const keys = lines(result.stdout).map(readKeyURI);
  assert.equal(keys.length, 4);
  assert.equal(keys[3]!.label, 'Other:carol');
});

test('an account whose name holds a colon is imported, not the whole export refused', async () => {
  // Google Authenticator keeps the names it was given: here "Other:carol" under the issuer "Example".
  const withColon = migrationURI([
    { secret: ALICE, name: 'Other:carol', issuer: 'Example' },
    { secret: BOB, name: 'dave', issuer: 'Fine' },
  ]);
  const result = await twofa(['import', withColon]);
  assert.equal(result.status, 0, result.stderr);
  const keys = lines(result.stdout).map(readKeyURI);
  assert.deepEqual(
    keys.map((key) => [key.label, key.params.issuer]),
    [
      ['Example:Other:carol', 'Example'],
      ['Fine:dave', 'Fine'],
    ],
  );
  const code = await twofa(['code', '--uri', lines(result.stdout)[0]!, '--time', '59', '--json']);
  assert.equal(code.status, 0, code.stderr);
});

test('import --json lists every field, secrets in base32', async () => {
  const result = await twofa(['import', '--json', EXPORT]);
  const data = JSON.parse(result.stdout) as Record<string, unknown>[];
  assert.equal(data.length, 3);
  assert.deepEqual(
    { ...data[1], uri: undefined },
    {
      type: 'totp',
      issuer: 'Bank & Co',
      account: 'bob',
      secret: base32(BOB),
      algorithm: 'SHA256',
      digits: 8,
      periodSeconds: 30,
      uri: undefined,
    },
  );
  assert.equal(data[2]!.counter, 42);
  assert.equal(data[2]!.issuer, undefined);
});

test('export then import gives back the same accounts', async () => {
  const imported = await twofa(['import', EXPORT]);
  const exported = await twofa(['export', '-'], { input: imported.stdout });
  assert.equal(exported.status, 0, exported.stderr);
  assert.match(exported.stdout, /^otpauth-migration:\/\/offline\?data=\S+\n$/);
  const back = await twofa(['import', '-'], { input: exported.stdout });
  assert.equal(back.stdout, imported.stdout);
});

test('export --qr writes a PNG that zbarimg reads as the printed URI, and import --image reads it back', {
  skip: skipUnlessTool('zbarimg'),
}, async () => {
  const dir = tempDir();
  const accounts = lines((await twofa(['import', EXPORT])).stdout);
  writeFileSync(join(dir, 'accounts.txt'), `# two of them\n${accounts[0]}\n${accounts[1]}\n`, {
    mode: 0o600,
  });
  const exported = await twofa(
    ['export', '--key-file', 'accounts.txt', '--uri', accounts[2]!, '--qr', 'transfer.png'],
    { cwd: dir },
  );
  assert.equal(exported.status, 0, exported.stderr);
  const printed = exported.stdout.trim();
  assert.equal(zbarimg(join(dir, 'transfer.png')), printed, 'zbarimg reads the exact printed URI');
  const imported = await twofa(['import', '--image', 'transfer.png'], { cwd: dir });
  assert.equal(imported.status, 0, imported.stderr);
  assert.deepEqual(lines(imported.stdout), accounts);
});

test('export splits many accounts over several QR codes, FILE-1.png, FILE-2.png, ...', {
  skip: skipUnlessTool('zbarimg'),
}, async () => {
  const dir = tempDir();
  const accounts = Array.from(
    { length: 5 },
    (_, i) => `otpauth://totp/Team:user${i}?secret=${base32(seededBytes(10 + i, 20))}&issuer=Team`,
  );
  const exported = await twofa(['export', '-', '--batch-size', '2', '--qr', 'team.png'], {
    cwd: dir,
    input: accounts.join('\n'),
  });
  assert.equal(exported.status, 0, exported.stderr);
  const uris = lines(exported.stdout);
  assert.equal(uris.length, 3);
  assert.match(exported.stderr, /team-1\.png[\s\S]*team-2\.png[\s\S]*team-3\.png/);
  for (const [index, uri] of uris.entries()) assert.equal(zbarimg(join(dir, `team-${index + 1}.png`)), uri);
  const imported = await twofa(
    ['import', '--image', 'team-1.png', '--image', 'team-2.png', '--image', 'team-3.png'],
    { cwd: dir },
  );
  assert.deepEqual(
    lines(imported.stdout).map((uri) => readKeyURI(uri).label),
    accounts.map((uri) => readKeyURI(uri).label),
  );
});

test('export writes no image when one of them already exists', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 't-2.png'), 'keep me');
  const input = Array.from({ length: 3 }, (_, i) => `otpauth://totp/a${i}?secret=${base32(ALICE)}\n`).join(
    '',
  );
  const result = await twofa(['export', '-', '--batch-size', '1', '--qr', join(dir, 't.png')], { input });
  assertUsageError(result, [base32(ALICE)], /t-2\.png already exists; pass --force/);
  assert.deepEqual(readdirSync(dir), ['t-2.png']);
});

test('import --image reads an export QR from a PNG and from a JPEG screenshot, whatever the file is named', {
  skip: skipUnlessTool('zbarimg'),
}, async () => {
  const dir = tempDir();
  const drawn = await twofa(['qr', '-', '--out', 'code.png'], { cwd: dir, input: EXPORT });
  assert.equal(drawn.status, 0, drawn.stderr);
  const { PNG } = await import('pngjs');
  const jpeg = (await import('jpeg-js')).default;
  const code = PNG.sync.read(readFileSync(join(dir, 'code.png')));
  // A phone-like screenshot: a grey screen, a dark title bar, the code off-centre.
  const shot = new PNG({ width: code.width + 200, height: code.height + 400 });
  shot.data.fill(0xee);
  shot.data.fill(0x30, 0, shot.width * 4 * 100);
  PNG.bitblt(code, shot, 0, 0, code.width, code.height, 120, 220);
  writeFileSync(join(dir, 'shot.png'), PNG.sync.write(shot));
  const jpegBytes = jpeg.encode({ data: shot.data, width: shot.width, height: shot.height }, 75).data;
  writeFileSync(join(dir, 'shot.jpg'), jpegBytes);
  writeFileSync(join(dir, 'really-a-jpeg.png'), jpegBytes);
  for (const file of ['shot.png', 'shot.jpg']) {
    assert.equal(zbarimg(join(dir, file)), EXPORT, `zbarimg reads ${file}`);
  }
  for (const file of ['shot.png', 'shot.jpg', 'really-a-jpeg.png']) {
    const imported = await twofa(['import', '--image', file], { cwd: dir });
    assert.equal(imported.status, 0, `${file}: ${imported.stderr}`);
    assert.deepEqual(lines(imported.stdout).map(readKeyURI), EXPECTED, file);
  }
});

test('import reads a screenshot where the code is small and off-centre', {
  skip: skipUnlessTool('zbarimg'),
}, async () => {
  const dir = tempDir();
  const exported = await twofa(
    [
      'export',
      '--uri',
      `otpauth://totp/Example:alice?secret=${base32(ALICE)}&issuer=Example`,
      '--qr',
      'small.png',
    ],
    { cwd: dir },
  );
  assert.equal(exported.status, 0, exported.stderr);
  const { PNG } = await import('pngjs');
  const small = PNG.sync.read(Buffer.from((await import('node:fs')).readFileSync(join(dir, 'small.png'))));
  // Paste it into a larger grey "screenshot" at an offset.
  const shot = new PNG({ width: small.width + 300, height: small.height + 200 });
  shot.data.fill(200);
  PNG.bitblt(small, shot, 0, 0, small.width, small.height, 250, 120);
  writeFileSync(join(dir, 'shot.png'), PNG.sync.write(shot));
  assert.equal(zbarimg(join(dir, 'shot.png')), exported.stdout.trim(), 'zbarimg reads the screenshot too');
  const imported = await twofa(['import', '--image', 'shot.png'], { cwd: dir });
  assert.equal(imported.status, 0, imported.stderr);
  assert.equal(readKeyURI(imported.stdout.trim()).params.secret, base32(ALICE));
});

test('bad imports and exports are usage errors that echo no secret', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'not.png'), 'hello');
  const { PNG } = await import('pngjs');
  const blank = new PNG({ width: 64, height: 64 });
  blank.data.fill(255);
  writeFileSync(join(dir, 'blank.png'), PNG.sync.write(blank));
  // A PNG header claiming 100,000 x 100,000 pixels: refused before anything is inflated.
  const huge = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]).copy(
    huge,
  );
  huge.writeUInt32BE(100_000, 16);
  huge.writeUInt32BE(100_000, 20);
  writeFileSync(join(dir, 'huge.png'), huge);
  writeFileSync(join(dir, 'code.gif'), Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'));
  const secret = base32(ALICE);
  const cases: [string[], string | undefined, RegExp][] = [
    [
      ['import'],
      undefined,
      /import needs an otpauth-migration:\/\/ URI, - to read stdin, or --image FILE \(PNG or JPEG\)/,
    ],
    [['import', 'otpauth-migration://offline?data=%%%'], undefined, /argument 1: INVALID_MIGRATION_URI/],
    [['import', '-'], `${secret}\n`, /stdin line 1 is not an otpauth-migration:\/\/ URI/],
    [['import', '--image', 'not.png'], undefined, /--image not\.png is not a readable PNG or JPEG image/],
    [['import', '--image', 'blank.png'], undefined, /--image blank\.png: no QR code found/],
    [['import', '--image', 'huge.png'], undefined, /--image huge\.png is larger than 50 megapixels/],
    [['import', '--image', 'code.gif'], undefined, /--image code\.gif is not a readable PNG or JPEG image/],
    [['import', '--image', 'missing.png'], undefined, /cannot read --image missing\.png: no such file/],
    [['export'], undefined, /export needs --uri URI, --key-file FILE or -/],
    [
      ['export', '-'],
      `otpauth://totp/a?secret=${secret}\n${secret}\n`,
      /stdin line 2 is not an otpauth:\/\/ URI/,
    ],
    [
      ['export', '--uri', `otpauth://totp/a?secret=${secret}`, '--qr', 'x.jpeg'],
      undefined,
      /must end in \.png or \.svg/,
    ],
    [
      ['export', '-'],
      `otpauth://totp/Example:alice?secret=${secret}\notpauth://totp/Example:bob?secret=${secret}&period=60\n`,
      /^twofa: account "Example:bob" \(stdin line 2\) cannot be exported: INVALID_PERIOD: periodSeconds must be 30 in a Google Authenticator export .*, got 60$/,
    ],
    [
      [
        'export',
        '--uri',
        `otpauth://totp/a?secret=${secret}`,
        '--uri',
        `otpauth://hotp/b?secret=${secret}&counter=1&digits=7`,
      ],
      undefined,
      /^twofa: account "b" \(--uri number 2\) cannot be exported: INVALID_DIGITS: digits must be 6 or 8 in a Google Authenticator export, got 7$/,
    ],
    [
      ['export', '-', '--batch-size', '0'],
      `otpauth://totp/a?secret=${secret}`,
      /--batch-size must be a whole number from 1/,
    ],
  ];
  const results = await Promise.all(
    cases.map(([args, input]) => twofa(args, input === undefined ? { cwd: dir } : { cwd: dir, input })),
  );
  for (const [index, result] of results.entries()) assertUsageError(result, [secret], cases[index]![2]);
});
