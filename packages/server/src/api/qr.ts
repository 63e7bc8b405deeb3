/**
 * The QR code of an otpauth:// URI, as SVG markup and as a PNG data URL (for an <img> in the calling app).
 * The `qr` library makes the module matrix and the SVG; the PNG is written here (greyscale, 1 bit per pixel,
 * deflated by node:zlib): PNG needs only a signature and three chunks (ISO/IEC 15948 s5, s11.2).
 */
import { crc32, deflateSync } from 'node:zlib';
import encodeQR from 'qr';

/** Medium error correction and a 4-module quiet zone (ISO/IEC 18004 s6.3.8), as the set-up page draws. */
const QR_OPTIONS = { ecc: 'medium', border: 4 } as const;
/** Pixels per module: a 57-module code (version 10) becomes 228 px, enough for any phone camera. */
const PNG_SCALE = 4;

export function qrSvg(text: string): string {
  return encodeQR(text, 'svg', { ...QR_OPTIONS, optimize: true });
}

export function qrPngDataUrl(text: string): string {
  const modules = encodeQR(text, 'raw', QR_OPTIONS);
  return `data:image/png;base64,${encodePng(modules, PNG_SCALE).toString('base64')}`;
}

/** A 1-bit greyscale PNG of `modules` (true: dark), each module `scale` pixels square. */
export function encodePng(modules: readonly (readonly boolean[])[], scale: number): Buffer {
  const size = modules.length * scale;
  const rowBytes = Math.ceil(size / 8);
  const raw = Buffer.alloc((rowBytes + 1) * size);
  for (let y = 0; y < size; y++) {
    const row = modules[Math.floor(y / scale)]!;
    const offset = y * (rowBytes + 1); // each row starts with filter type 0 (None)
    for (let x = 0; x < size; x++) {
      // Greyscale 1 bit: 1 is white, so light modules set their bit.
      if (!row[Math.floor(x / scale)]) raw[offset + 1 + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // colour type: greyscale
  // compression, filter and interlace methods: 0
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}
