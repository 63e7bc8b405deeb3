import { buildKeyURI, encodeBase32, generateSecret } from '@twofa/otp';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { refuseExistingFiles, writePrivateFile } from '../files.ts';
import { groupSecret } from '../format.ts';
import { useColor } from '../io.ts';
import { applyKeyOptions, type CliKey } from '../key-source.ts';
import { describeKeyJSON, toOTPKey, warnAboutAppSupport } from '../key-uri.ts';
import { JSON_OPTION, KEY_OPTIONS, parseIntegerOption, parseOptions } from '../options.ts';
import { qrImageType, renderTerminalQR, writeQRFile } from '../qr.ts';

/** RFC 4226 R6: the shared secret MUST be at least 128 bits; 160 bits is RECOMMENDED. */
const MIN_SECRET_BYTES = 16;
const DEFAULT_SECRET_BYTES = 20;
const MAX_SECRET_BYTES = 128;

const OPTIONS = {
  issuer: { type: 'string' },
  account: { type: 'string' },
  bytes: { type: 'string' },
  qr: { type: 'string' },
  'key-file': { type: 'string' },
  force: { type: 'boolean' },
  ...KEY_OPTIONS,
  ...JSON_OPTION,
} as const;

export const keygen: Command = {
  name: 'keygen',
  summary: 'make a new secret, its otpauth:// URI and a QR code for an authenticator app',
  help: `Usage: twofa keygen --issuer NAME --account NAME [options]

Makes a random secret and prints it (grouped by 4 for typing), its otpauth:// URI, and, on a terminal,
a QR code to scan with an authenticator app.

Options:
  --issuer NAME          the service, shown in the app (required)
  --account NAME         the user's account, e.g. an email address (required)
  --bytes N              secret length in bytes, ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} (default ${DEFAULT_SECRET_BYTES}: 160 bits, RFC 4226)
  --algorithm SHA1|SHA256|SHA512, --digits 6..10, --period SECONDS
                         default SHA1, 6, 30: the only values every app honours
  --hotp [--counter N]   an HOTP (counter) key instead of TOTP; counter defaults to 0
  --qr FILE.png|FILE.svg also write the QR code to an image file
  --key-file FILE        also save the URI to FILE, readable only by you (mode 600),
                         for use with twofa code/verify --key-file FILE
  --force                overwrite FILEs that already exist
  --json                 print {secret, uri, ...} as JSON

Example:
  twofa keygen --issuer Example --account alice@example.com --key-file alice.key --qr alice.png
`,
  async run(args, io) {
    const { values } = parseOptions('keygen', args, OPTIONS, 0);
    if (values.issuer === undefined || values.issuer === '') {
      throw new CliError('keygen needs --issuer NAME (the service name the app shows)');
    }
    if (values.account === undefined || values.account === '') {
      throw new CliError('keygen needs --account NAME (the user name or email the app shows)');
    }
    const bytes =
      values.bytes === undefined
        ? DEFAULT_SECRET_BYTES
        : parseIntegerOption(values.bytes, '--bytes', MIN_SECRET_BYTES, MAX_SECRET_BYTES);
    if (values.qr !== undefined) qrImageType(values.qr, '--qr');
    const base: CliKey = {
      type: 'totp',
      secret: generateSecret(bytes),
      algorithm: 'SHA1',
      digits: 6,
      periodSeconds: 30,
      issuer: values.issuer,
      account: values.account,
    };
    const key = applyKeyOptions(base, values);
    if (key.type === 'hotp' && key.counter === undefined) key.counter = 0n;
    const uri = buildKeyURI(toOTPKey(key));
    const secret = encodeBase32(key.secret, { padding: false });
    warnAboutAppSupport(key, io);

    const force = values.force === true;
    const outputs = [values['key-file'], values.qr].filter((path) => path !== undefined);
    await refuseExistingFiles(outputs, { force, io });
    if (values['key-file'] !== undefined) {
      await writePrivateFile(values['key-file'], `${uri}\n`, { flag: '--key-file', force, io });
    }
    if (values.qr !== undefined) await writeQRFile(values.qr, uri, { flag: '--qr', force, io });

    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(describeKeyJSON(key, secret, uri), null, 2)}\n`);
    } else {
      io.stdout.write(`Secret: ${groupSecret(secret)}\nURI:    ${uri}\n`);
      if (io.isTTY) {
        io.stdout.write(`\n${await renderTerminalQR(uri, useColor(io))}`);
        io.stdout.write('Scan the code with an authenticator app, or type the secret into it.\n');
      }
    }
    if (values['key-file'] !== undefined) io.stderr.write(`Saved the key URI to ${values['key-file']}\n`);
    if (values.qr !== undefined) io.stderr.write(`Wrote the QR code to ${values.qr}\n`);
    return 0;
  },
};
