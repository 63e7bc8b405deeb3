/**
 * QR codes: drawn with `qrcode` (PNG, SVG, terminal), read from PNG screenshots with `pngjs` + `jsQR`.
 * The libraries load on first use so commands that draw nothing start fast.
 */
import { CliError } from './errors.ts';
import { writePrivateFile } from './files.ts';
import type { IO } from './io.ts';

/** Medium error correction (~15% recoverable): phone cameras read it easily at a modest size. */
const ERROR_CORRECTION = 'M';
/** Pixels per module in PNGs: a 30-module code comes out near 300 px, comfortable to scan off a screen. */
const PNG_SCALE = 8;
/** Quiet zone in modules; ISO/IEC 18004 asks for 4. */
const MARGIN = 4;

export type QRImageType = 'png' | 'svg';

/** The image type a path names by its extension, else a CliError naming the flag. */
export function qrImageType(path: string, flag: string): QRImageType {
  const match = /\.(png|svg)$/i.exec(path);
  if (!match) throw new CliError(`${flag} ${path}: the file name must end in .png or .svg`);
  return match[1]!.toLowerCase() as QRImageType;
}

/** Writes a QR code of `text` as PNG or SVG (by extension), mode 0600: the image is as secret as the key. */
export async function writeQRFile(
  path: string,
  text: string,
  options: { flag: string; force: boolean; io: IO },
): Promise<void> {
  const type = qrImageType(path, options.flag);
  const QRCode = (await import('qrcode')).default;
  const data =
    type === 'png'
      ? await QRCode.toBuffer(text, {
          type: 'png',
          errorCorrectionLevel: ERROR_CORRECTION,
          margin: MARGIN,
          scale: PNG_SCALE,
        })
      : await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: ERROR_CORRECTION, margin: MARGIN });
  await writePrivateFile(path, data, options);
}

/**
 * A QR code for the terminal. With colour: qrcode's small renderer, which sets its own black-on-white cells and
 * so reads on any background. Without colour (NO_COLOR, or not a terminal): plain half-block characters with
 * light modules drawn as blocks, as `qrencode -t UTF8` does, which suits the usual dark terminal.
 */
export async function renderTerminalQR(text: string, color: boolean): Promise<string> {
  const QRCode = (await import('qrcode')).default;
  const drawing = color
    ? await QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: ERROR_CORRECTION })
    : await QRCode.toString(text, {
        type: 'utf8',
        errorCorrectionLevel: ERROR_CORRECTION,
        margin: 2,
        color: { dark: '#ffffff', light: '#000000' },
      });
  return drawing.endsWith('\n') ? drawing : `${drawing}\n`;
}

/** Finds and reads the QR code in a PNG image; a CliError when the file is no PNG or holds no readable code. */
export async function decodeQRImage(bytes: Uint8Array, path: string): Promise<string> {
  const { PNG } = await import('pngjs');
  // jsqr is CommonJS whose module.exports carries the function as `default`, which is what its types describe.
  const jsQR = (await import('jsqr')).default.default;
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    throw new CliError(`--image ${path} is not a readable PNG image`);
  }
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const found = jsQR(pixels, image.width, image.height);
  if (!found) throw new CliError(`--image ${path}: no QR code found (crop it to the code and try again)`);
  return found.data;
}
