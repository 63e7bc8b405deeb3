import { buildKeyURI, encodeBase32, OTPError, type OTPKey, parseKeyURI, parseMigrationURI } from '@twofa/otp';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { readBinaryFile } from '../files.ts';
import { fromOTPKey, type SecretText, splitLines } from '../key-source.ts';
import { describeKeyJSON } from '../key-uri.ts';
import { JSON_OPTION, parseOptions } from '../options.ts';
import { decodeQRImage } from '../qr.ts';

const OPTIONS = {
  image: { type: 'string', multiple: true },
  ...JSON_OPTION,
} as const;

export const importCommand: Command = {
  name: 'import',
  summary: 'list the accounts in a Google Authenticator export (text or QR screenshot)',
  help: `Usage: twofa import [URI... | -] [--image FILE.png|FILE.jpg]... [--json]

Reads a Google Authenticator export ("Transfer accounts" > "Export accounts"): the otpauth-migration://
URI inside its QR code, given as text or as a PNG or JPEG screenshot of the code. Prints one otpauth://
URI per account, ready for twofa code --uri, twofa qr, or another app. An export of many accounts spans
several QR codes: pass them all. The output holds every secret: keep it private.

Options:
  --image FILE       a PNG or JPEG screenshot or photo of the export QR code (repeatable)
  -                  read URIs from standard input, one per line
  --json             print [{issuer, account, secret, algorithm, digits, ...}] as JSON

Examples:
  twofa import --image export-1.png --image export-2.png > accounts.txt && chmod 600 accounts.txt
  twofa import - --json < export.txt
`,
  async run(args, io) {
    const { values, positionals } = parseOptions('import', args, OPTIONS, Number.POSITIVE_INFINITY);
    const inputs: SecretText[] = [];
    for (const [index, arg] of positionals.entries()) {
      if (arg === '-') inputs.push(...splitLines(await io.stdin.read(), 'stdin'));
      else inputs.push({ text: arg.trim(), origin: `argument ${index + 1}` });
    }
    for (const path of values.image ?? []) {
      inputs.push({
        text: await decodeQRImage(await readBinaryFile(path, '--image', io), path),
        origin: `--image ${path}`,
      });
    }
    if (inputs.length === 0) {
      throw new CliError(
        'import needs an otpauth-migration:// URI, - to read stdin, or --image FILE (PNG or JPEG)',
      );
    }
    const keys = inputs.flatMap(parseExport);
    if (values.json === true) {
      const list = keys.map((key) =>
        describeKeyJSON(fromOTPKey(key), encodeBase32(key.secret, { padding: false }), buildKeyURI(key)),
      );
      io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    } else {
      io.stdout.write(keys.map((key) => `${buildKeyURI(key)}\n`).join(''));
    }
    if (keys.length === 0) io.stderr.write('twofa: the export holds no accounts\n');
    return 0;
  },
};

function parseExport({ text, origin }: SecretText): OTPKey[] {
  try {
    if (/^otpauth-migration:\/\//i.test(text)) return parseMigrationURI(text);
    // A single account's QR code is a plain key URI: accept it too.
    if (/^otpauth:\/\//i.test(text)) return [parseKeyURI(text)];
  } catch (error) {
    if (error instanceof OTPError) throw new CliError(`${origin}: ${error.message}`, { cause: error });
    throw error;
  }
  throw new CliError(`${origin} is not an otpauth-migration:// URI (a Google Authenticator export)`);
}
