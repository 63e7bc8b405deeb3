/**
 * The set-up's QR codes: the PNG data URL (written by api/qr.ts) and the SVG both read back, with zbarimg
 * (an independent decoder), as the exact otpauth:// URI the response carries.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { skipUnlessTool } from '../../../otp/test/support/tools.ts';
import { encodePng, qrPngDataUrl, qrSvg } from '../../src/api/qr.ts';
import { MAX_KEY_URI_CHARS } from '../../src/services/limits.ts';
import { type ApiTestApp, makeApiTestApp } from '../support/api.ts';

const skip = skipUnlessTool('zbarimg');
let t: ApiTestApp;
let dir: string;
before(async () => {
  t = await makeApiTestApp();
  dir = await mkdtemp(join(tmpdir(), 'twofa-qr-'));
});
after(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

function decode(file: string): string {
  return execFileSync('zbarimg', ['-q', '--raw', file], { encoding: 'utf8' }).trim();
}

test('the PNG data URL of a set-up decodes to its otpauth:// URI', { skip }, async () => {
  const started = await t.call('POST', '/api/v1/subjects/qr/enrollments/totp', {
    body: { accountName: 'alice+test@example.com', issuer: 'Example & Co' },
  });
  const png = Buffer.from(started.json.qrPngDataUrl.replace('data:image/png;base64,', ''), 'base64');
  await writeFile(join(dir, 'code.png'), png);
  assert.equal(decode(join(dir, 'code.png')), started.json.otpauthUri);
});

test('the PNG is well formed: signature, a square 1-bit greyscale IHDR, the size the modules ask', () => {
  const png = encodePng(
    [
      [true, false],
      [false, true],
    ],
    3,
  );
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  assert.equal(png.readUInt32BE(16), 6);
  assert.equal(png.readUInt32BE(20), 6);
  assert.equal(png[24], 1, 'bit depth');
  assert.equal(png[25], 0, 'greyscale');
  assert.match(qrPngDataUrl('x'), /^data:image\/png;base64,/);
});

test('labels whose URI cannot fit in a QR code are a 422 naming the field, not a 500 after storing a set-up', async () => {
  // 128 characters of 4 bytes each: 12 characters apiece once percent-encoded, and the issuer is in twice.
  const long = '\u{1F600}'.repeat(128);
  const refused = await t.call('POST', '/api/v1/subjects/qr-long/enrollments/totp', {
    body: { accountName: 'alice', issuer: long },
  });
  assert.equal(refused.status, 422);
  assert.equal(refused.json.error.code, 'INVALID_REQUEST');
  assert.match(refused.json.error.message, /issuer/);
  const account = await t.call('POST', '/api/v1/subjects/qr-long/enrollments/totp', {
    body: { accountName: long, issuer: '\u{1F600}'.repeat(40) },
  });
  assert.equal(account.status, 422);
  assert.match(account.json.error.message, /accountName/);
  // Nothing was stored: the subject was not even made.
  assert.equal((await t.call('GET', '/api/v1/subjects/qr-long/factors')).status, 404);
});

test('a URI of the longest length allowed still makes both QR codes', () => {
  const uri = `otpauth://totp/${'a'.repeat(MAX_KEY_URI_CHARS - 'otpauth://totp/'.length)}`;
  assert.equal(uri.length, MAX_KEY_URI_CHARS);
  assert.match(qrSvg(uri), /^<svg/);
  assert.match(qrPngDataUrl(uri), /^data:image\/png;base64,/);
});
