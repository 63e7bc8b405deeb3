/** twofa uri and twofa qr: the URI for an existing secret, and its QR code, read back by zbarimg. */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../src/run.ts';
import { assertUsageError, tempDir, twofa } from './support/cli.ts';
import { readKeyURI } from './support/encoding.ts';
import { memoryIO } from './support/memory-io.ts';
import { skipUnlessTool, zbarimg } from './support/tools.ts';

const SECRET = 'JBSWY3DPEHPK3PXP';

test('uri builds the otpauth:// URI for a secret from stdin', async () => {
  const result = await twofa(['uri', '-', '--issuer', 'Example Co', '--account', 'alice@example.com'], {
    input: `${SECRET}\n`,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  assert.match(result.stdout, /^otpauth:\/\/\S+\n$/);
  const key = readKeyURI(result.stdout.trim());
  assert.equal(key.type, 'totp');
  assert.equal(key.label, 'Example Co:alice@example.com');
  assert.deepEqual(key.params, {
    secret: SECRET,
    issuer: 'Example Co',
    algorithm: 'SHA1',
    digits: '6',
    period: '30',
  });
});

test('uri applies flags over a URI, and --json names every field', async () => {
  const result = await twofa(['uri', '--digits', '8', '--account', 'bob', '--json'], {
    env: { TWOFA_SECRET: `otpauth://totp/Example:alice?secret=${SECRET}&issuer=Example` },
  });
  assert.equal(result.status, 0);
  assert.match(result.stderr, /warning: some authenticator apps ignore 8 digits/);
  const data = JSON.parse(result.stdout) as Record<string, unknown>;
  assert.deepEqual(
    { ...data, uri: undefined },
    {
      type: 'totp',
      issuer: 'Example',
      account: 'bob',
      secret: SECRET,
      algorithm: 'SHA1',
      digits: 8,
      periodSeconds: 30,
      uri: undefined,
    },
  );
  assert.equal(readKeyURI(String(data.uri)).label, 'Example:bob');
});

test('uri --hotp writes counter 0 unless told otherwise', async () => {
  const result = await twofa(['uri', SECRET, '--issuer', 'E', '--account', 'a', '--hotp']);
  assert.equal(readKeyURI(result.stdout.trim()).params.counter, '0');
});

test('uri without names is a usage error', async () => {
  const [noIssuer, noAccount] = await Promise.all([
    twofa(['uri', '--account', 'a'], { env: { TWOFA_SECRET: SECRET } }),
    twofa(['uri', '--issuer', 'E'], { env: { TWOFA_SECRET: SECRET } }),
  ]);
  assertUsageError(noIssuer, [SECRET], /uri needs --issuer/);
  assertUsageError(noAccount, [SECRET], /uri needs --account/);
});

test('qr --out FILE.png: zbarimg reads back exactly the URI uri printed', {
  skip: skipUnlessTool('zbarimg'),
}, async () => {
  const dir = tempDir();
  const made = await twofa(['uri', '-', '--issuer', 'Ex&ample', '--account', 'jo é@example.com'], {
    input: SECRET,
  });
  assert.equal(made.status, 0, made.stderr);
  const uri = made.stdout.trim();
  const png = join(dir, 'code.png');
  const drawn = await twofa(['qr', '-', '--out', png], { input: made.stdout });
  assert.equal(drawn.status, 0, drawn.stderr);
  assert.equal(drawn.stdout, '', 'the image goes to the file, not stdout');
  assert.equal(zbarimg(png), uri);
  assert.equal(statSync(png).mode & 0o777, 0o600);
});

test('qr reads the URI from a key file and writes SVG; an existing file is kept without --force', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'k.key'), `otpauth://totp/Example:alice?secret=${SECRET}&issuer=Example\n`, {
    mode: 0o600,
  });
  const first = await twofa(['qr', '--key-file', 'k.key', '--out', 'k.svg'], { cwd: dir });
  assert.equal(first.status, 0, first.stderr);
  const svg = readFileSync(join(dir, 'k.svg'), 'utf8');
  assert.match(svg, /^<svg /);
  const again = await twofa(['qr', '--key-file', 'k.key', '--out', 'k.svg'], { cwd: dir });
  assertUsageError(again, [SECRET], /k\.svg already exists; pass --force/);
  const forced = await twofa(['qr', '--key-file', 'k.key', '--out', 'k.svg', '--force'], { cwd: dir });
  assert.equal(forced.status, 0);
});

test('qr draws in the terminal by default: block characters, no colour codes when not a terminal', async () => {
  const result = await twofa(['qr', '-'], {
    input: `otpauth://totp/Example:alice?secret=${SECRET}&issuer=Example`,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.ok(!result.stdout.includes('\x1b'), 'no escape sequences');
  assert.match(result.stdout, /[█▀▄]/);
  const lines = result.stdout.trimEnd().split('\n');
  assert.ok(lines.length >= 12, 'a QR code at least 21 modules tall, two per line');
  assert.ok(
    lines.every((line) => [...line].length === [...lines[0]!].length),
    'a rectangle',
  );
});

/**
 * The terminal drawing as a PNG, for zbarimg: each character is two modules stacked, drawn where the
 * character has ink; ink is the light modules without colour (blocks on a dark terminal) and the dark ones
 * with colour (black on the white background the escape sequences set).
 */
async function drawingToPNG(drawing: string, inkIsLight: boolean): Promise<string> {
  const halves: Record<string, [boolean, boolean]> = {
    '█': [true, true],
    '▀': [true, false],
    '▄': [false, true],
    ' ': [false, false],
  };
  const rows = drawing
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => [...line]);
  const width = rows[0]!.length;
  const scale = 6;
  const border = 4 * scale;
  const { PNG } = await import('pngjs');
  const png = new PNG({ width: width * scale + 2 * border, height: rows.length * 2 * scale + 2 * border });
  png.data.fill(255);
  for (const [y, row] of rows.entries()) {
    assert.equal(row.length, width, 'a rectangle');
    for (const [x, char] of row.entries()) {
      const pair = halves[char];
      assert.ok(pair, `unexpected character ${JSON.stringify(char)} in the drawing`);
      for (const [half, ink] of pair.entries()) {
        if (ink === inkIsLight) continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const offset = ((border + (2 * y + half) * scale + dy) * png.width + border + x * scale + dx) * 4;
            png.data.fill(0, offset, offset + 3);
          }
        }
      }
    }
  }
  const file = join(tempDir(), 'terminal.png');
  writeFileSync(file, PNG.sync.write(png));
  return file;
}

test('the terminal drawing is a code zbarimg can read (light modules as blocks)', {
  skip: skipUnlessTool('zbarimg'),
}, async () => {
  const uri = `otpauth://totp/Example:alice?secret=${SECRET}&issuer=Example`;
  const result = await twofa(['qr', '-'], { input: uri });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(zbarimg(await drawingToPNG(result.stdout, true)), uri);
});

test('the coloured terminal drawing (black on white cells) is a code zbarimg can read', {
  skip: skipUnlessTool('zbarimg'),
}, async () => {
  const uri = `otpauth://totp/Example:alice?secret=${SECRET}&issuer=Example`;
  const memory = memoryIO({ isTTY: true, stdin: uri });
  assert.equal(await run(['qr', '-'], memory.io), 0, memory.stderr());
  const [blackOnWhite, reset] = ['\x1b[30;47m', '\x1b[0m'];
  const lines = memory.stdout().replace(/\n$/, '').split('\n');
  const plain = lines.map((line) => {
    assert.ok(line.startsWith(blackOnWhite) && line.endsWith(reset), JSON.stringify(line));
    return line.slice(blackOnWhite.length, -reset.length);
  });
  assert.equal(zbarimg(await drawingToPNG(plain.join('\n'), false)), uri);
});

test('qr refuses what is not a key URI, without echoing it', async () => {
  const [secret, broken, badName] = await Promise.all([
    twofa(['qr', '-'], { input: SECRET }),
    twofa(['qr', 'otpauth://totp/x?secret=JBSWY3DPEHPK3PX1']),
    twofa(['qr', SECRET, '--out', 'x.gif']),
  ]);
  assertUsageError(secret, [SECRET], /stdin is not an otpauth:\/\/ URI; make one with twofa uri/);
  assertUsageError(broken, ['JBSWY3DPEHPK3PX1'], /INVALID_BASE32/);
  assertUsageError(badName, [SECRET], /must end in \.png or \.svg/);
});

test('qr calls its argument the URI argument, as its help does, never SECRET', async () => {
  const [argument, twice, none] = await Promise.all([
    twofa(['qr', SECRET]),
    twofa(['qr', 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP', '--key-file', 'k.key']),
    twofa(['qr']),
  ]);
  assertUsageError(argument, [SECRET], /^twofa: the URI argument is not an otpauth:\/\/ URI/);
  assertUsageError(twice, [SECRET], /give the secret one way only: URI \(or - for stdin\)/);
  assertUsageError(none, [], /no secret: pass URI, - to read it from stdin/);
  for (const result of [argument, twice, none]) assert.doesNotMatch(result.stderr, /\bSECRET\b/);
});
