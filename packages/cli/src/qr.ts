/**
 * QR codes: encoded and read with `qr` (zero dependencies); drawn here as PNG (pngjs), SVG or terminal text;
 * screenshots read as PNG (pngjs) or JPEG (jpeg-js), the two forms phones save them in. `bench/qr-decode.ts`
 * measured `qr` against jsQR, which this replaced, on distorted screenshots (see the README). The libraries
 * load on first use so commands that draw nothing start fast.
 */
import { CliError } from './errors.ts';
import { writePrivateFile } from './files.ts';
import type { IO } from './io.ts';

/** Medium error correction (~15% recoverable): phone cameras read it easily at a modest size. */
const ERROR_CORRECTION = 'medium';
/** Pixels per module in PNGs: a 37-module code comes out near 300 px, comfortable to scan off a screen. */
const PNG_SCALE = 8;
/** Quiet zone in modules; ISO/IEC 18004 asks for 4. */
const MARGIN = 4;
/** A terminal's own background frames the code, so 2 modules are enough there (as `qrencode -t UTF8`). */
const TERMINAL_MARGIN = 2;
/** A screenshot larger than this (in megapixels) is refused before its pixels are decoded. */
const MAX_IMAGE_MEGAPIXELS = 50;

export type QRImageType = 'png' | 'svg';

/** The image type a path names by its extension, else a CliError naming the flag. */
export function qrImageType(path: string, flag: string): QRImageType {
  const match = /\.(png|svg)$/i.exec(path);
  if (!match) throw new CliError(`${flag} ${path}: the file name must end in .png or .svg`);
  return match[1]!.toLowerCase() as QRImageType;
}

/** The code's modules, row by row, `true` for dark, with a quiet zone of `margin` modules. */
async function encodeModules(text: string, margin: number): Promise<boolean[][]> {
  const { default: encodeQR } = await import('qr');
  return encodeQR(text, 'raw', { ecc: ERROR_CORRECTION, border: margin });
}

/** Writes a QR code of `text` as PNG or SVG (by extension), mode 0600: the image is as secret as the key. */
export async function writeQRFile(
  path: string,
  text: string,
  options: { flag: string; force: boolean; io: IO },
): Promise<void> {
  const type = qrImageType(path, options.flag);
  const modules = await encodeModules(text, MARGIN);
  const data = type === 'png' ? await drawPNG(modules) : drawSVG(modules);
  await writePrivateFile(path, data, options);
}

/** Black modules on white, PNG_SCALE pixels each, 8-bit greyscale. */
async function drawPNG(modules: boolean[][]): Promise<Buffer> {
  const { PNG } = await import('pngjs');
  const size = modules.length * PNG_SCALE;
  const png = new PNG({ width: size, height: size });
  png.data.fill(255);
  for (const [y, row] of modules.entries()) {
    for (const [x, dark] of row.entries()) {
      if (!dark) continue;
      for (let dy = 0; dy < PNG_SCALE; dy++) {
        const start = ((y * PNG_SCALE + dy) * size + x * PNG_SCALE) * 4;
        for (let i = start; i < start + PNG_SCALE * 4; i += 4) png.data.fill(0, i, i + 3);
      }
    }
  }
  return PNG.sync.write(png, { colorType: 0 });
}

/**
 * One module per SVG unit, a white square behind (an image viewer's dark background must not show through
 * the quiet zone), each row's runs of dark modules as one path.
 */
function drawSVG(modules: boolean[][]): string {
  const size = modules.length;
  let path = '';
  for (const [y, row] of modules.entries()) {
    for (let x = 0; x < size; x++) {
      if (!row[x]) continue;
      const start = x;
      while (x + 1 < size && row[x + 1]) x++;
      path += `M${start} ${y}h${x - start + 1}v1H${start}z`;
    }
  }
  const pixels = size * PNG_SCALE;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${pixels}" height="${pixels}" shape-rendering="crispEdges">` +
    `<rect width="${size}" height="${size}" fill="#fff"/><path fill="#000" d="${path}"/></svg>\n`
  );
}

// Each character is two modules stacked, top and bottom, drawn where `on`: [both, top only, bottom only, neither].
const HALF_BLOCKS = ['█', '▀', '▄', ' '] as const;
const ESC = '\x1b';

/**
 * A QR code for the terminal, two modules a character. With colour: dark modules black on a white background
 * (`ESC[30;47m`), which reads on any terminal background. Without colour (NO_COLOR, or not a terminal):
 * plain half-block characters with light modules drawn as blocks, as `qrencode -t UTF8` does, which suits
 * the usual dark terminal.
 */
export async function renderTerminalQR(text: string, color: boolean): Promise<string> {
  const modules = await encodeModules(text, TERMINAL_MARGIN);
  // Draw the dark modules on a white background, or the light ones on the terminal's dark background.
  const on = (y: number, x: number): boolean => {
    const dark = modules[y]?.[x];
    // Below the last row (an odd count) is the terminal's background: white with colour, dark without.
    if (dark === undefined) return false;
    return color ? dark : !dark;
  };
  let out = '';
  for (let y = 0; y < modules.length; y += 2) {
    let line = '';
    for (let x = 0; x < modules.length; x++) {
      const top = on(y, x);
      const bottom = on(y + 1, x);
      line += HALF_BLOCKS[top ? (bottom ? 0 : 1) : bottom ? 2 : 3];
    }
    out += color ? `${ESC}[30;47m${line}${ESC}[0m\n` : `${line}\n`;
  }
  return out;
}

/**
 * Finds and reads the QR code in a PNG or JPEG image (told apart by their signatures, not the file name); a
 * CliError when the file is neither or holds no readable code.
 */
export async function decodeQRImage(bytes: Uint8Array, path: string): Promise<string> {
  const image = await decodeImage(bytes, path);
  const { default: decodeQR } = await import('qr/decode.js');
  try {
    // Default effort: in bench/qr-decode.ts more retries (effort 16, 2 s) read no more images.
    return decodeQR(image);
  } catch {
    throw new CliError(`--image ${path}: no QR code found (crop it to the code and try again)`);
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return signature.every((byte, i) => bytes[i] === byte);
}

/** The image's pixels as RGBA. */
async function decodeImage(
  bytes: Uint8Array,
  path: string,
): Promise<{ width: number; height: number; data: Uint8Array }> {
  const unreadable = new CliError(`--image ${path} is not a readable PNG or JPEG image`);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (startsWith(bytes, PNG_SIGNATURE)) {
    // IHDR comes first: width and height, big-endian, at bytes 16 and 20. Checked before inflating anything.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 24) throw unreadable;
    if (view.getUint32(16) * view.getUint32(20) > MAX_IMAGE_MEGAPIXELS * 1e6) {
      throw new CliError(`--image ${path} is larger than ${MAX_IMAGE_MEGAPIXELS} megapixels`);
    }
    const { PNG } = await import('pngjs');
    try {
      return PNG.sync.read(buffer);
    } catch {
      throw unreadable;
    }
  }
  if (startsWith(bytes, JPEG_SIGNATURE)) {
    const { default: jpeg } = await import('jpeg-js');
    try {
      return jpeg.decode(buffer, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_IMAGE_MEGAPIXELS,
      });
    } catch {
      throw unreadable;
    }
  }
  throw unreadable;
}
