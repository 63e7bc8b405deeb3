import { OTPError, parseKeyURI, parseMigrationURI } from '@twofa/otp';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { useColor } from '../io.ts';
import { readSecretText } from '../key-source.ts';
import { parseOptions, SECRET_OPTIONS } from '../options.ts';
import { qrImageType, renderTerminalQR, writeQRFile } from '../qr.ts';

const OPTIONS = {
  ...SECRET_OPTIONS,
  out: { type: 'string' },
  force: { type: 'boolean' },
} as const;

export const qr: Command = {
  name: 'qr',
  summary: 'draw an otpauth:// URI as a QR code (terminal, PNG or SVG)',
  help: `Usage: twofa qr [URI | -] [--out FILE.png|FILE.svg] [--force]

Draws the QR code of an otpauth:// (or otpauth-migration://) URI in the terminal, or writes it to
an image with --out. The image holds the secret: it is created readable only by you (mode 600), and an
existing file is kept unless you pass --force.

The URI comes from one of: --key-file FILE (as saved by keygen), TWOFA_SECRET, - (standard input),
or the command line (URI or --uri URI: visible in ps and shell history).

Examples:
  twofa qr --key-file alice.key
  twofa uri - --issuer Example --account alice < secret.txt | twofa qr - --out alice.png
`,
  async run(args, io) {
    const { values, positionals } = parseOptions('qr', args, OPTIONS, 1);
    if (values.out !== undefined) qrImageType(values.out, '--out');
    const { text, origin } = await readSecretText(positionals[0], values, io, 'URI');
    checkURI(text, origin);
    if (values.out !== undefined) {
      await writeQRFile(values.out, text, { flag: '--out', force: values.force === true, io });
      io.stderr.write(`Wrote the QR code to ${values.out}\n`);
    } else {
      io.stdout.write(await renderTerminalQR(text, useColor(io)));
    }
    return 0;
  },
};

/** Draw only what an authenticator can use, so a typo shows up here rather than on the phone. */
function checkURI(text: string, origin: string): void {
  try {
    if (/^otpauth:\/\//i.test(text)) parseKeyURI(text);
    else if (/^otpauth-migration:\/\//i.test(text)) parseMigrationURI(text);
    else throw new CliError(`${origin} is not an otpauth:// URI; make one with twofa uri`);
  } catch (error) {
    if (error instanceof OTPError) throw new CliError(`${origin}: ${error.message}`, { cause: error });
    throw error;
  }
}
