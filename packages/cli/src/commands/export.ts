import { buildMigrationURIs, OTPError, type OTPKey, parseKeyURI } from '@twofa/otp';
import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { readTextFile, refuseExistingFiles } from '../files.ts';
import { useColor } from '../io.ts';
import { type SecretText, splitLines } from '../key-source.ts';
import { JSON_OPTION, parseIntegerOption, parseOptions } from '../options.ts';
import { qrImageType, renderTerminalQR, writeQRFile } from '../qr.ts';

const OPTIONS = {
  uri: { type: 'string', multiple: true },
  'key-file': { type: 'string', multiple: true },
  qr: { type: 'string' },
  'batch-size': { type: 'string' },
  force: { type: 'boolean' },
  ...JSON_OPTION,
} as const;

/** Google Authenticator's own exports put at most 10 accounts in one QR code. */
const DEFAULT_BATCH_SIZE = 10;
const MAX_BATCH_SIZE = 50;

export const exportCommand: Command = {
  name: 'export',
  summary: 'pack otpauth:// keys into Google Authenticator import QR codes',
  help: `Usage: twofa export [--uri URI]... [--key-file FILE]... [-] [--qr FILE.png|FILE.svg] [options]

The reverse of import: packs accounts into otpauth-migration:// URIs that Google Authenticator imports
("Transfer accounts" > "Import accounts"), ${DEFAULT_BATCH_SIZE} accounts per QR code. Prints the URIs, one per line, and
on a terminal also draws their QR codes. The output holds every secret: keep it private.

Options:
  --uri URI            an otpauth:// key URI (repeatable; visible in ps and shell history)
  --key-file FILE      a file of otpauth:// URIs, one per line (repeatable)
  -                    read otpauth:// URIs from standard input, one per line
  --qr FILE.png|.svg   write the QR code to FILE, mode 600; several codes go to FILE-1.png, FILE-2.png, ...
  --batch-size N       accounts per QR code (default ${DEFAULT_BATCH_SIZE})
  --force              overwrite image files that already exist
  --json               print the URIs as a JSON array

Examples:
  twofa export --key-file alice.key --key-file bob.key --qr transfer.png
  twofa import --image old-phone.png | twofa export - --qr new-phone.png
`,
  async run(args, io) {
    const { values, tokens } = parseOptions('export', args, OPTIONS, Number.POSITIVE_INFINITY);
    if (values.qr !== undefined) qrImageType(values.qr, '--qr');
    const batchSize =
      values['batch-size'] === undefined
        ? DEFAULT_BATCH_SIZE
        : parseIntegerOption(values['batch-size'], '--batch-size', 1, MAX_BATCH_SIZE);
    // Accounts keep the order they were given in, whatever mix of -, --uri and --key-file that was.
    const inputs: SecretText[] = [];
    let uriCount = 0;
    let argumentCount = 0;
    for (const token of tokens) {
      if (token.kind === 'positional') {
        argumentCount += 1;
        if (token.value === '-') inputs.push(...splitLines(await io.stdin.read(), 'stdin'));
        else inputs.push({ text: token.value.trim(), origin: `argument ${argumentCount}` });
      } else if (token.kind === 'option' && token.name === 'uri' && token.value !== undefined) {
        inputs.push({ text: token.value.trim(), origin: `--uri number ${++uriCount}` });
      } else if (token.kind === 'option' && token.name === 'key-file' && token.value !== undefined) {
        const path = token.value;
        inputs.push(...splitLines(await readTextFile(path, '--key-file', io), `--key-file ${path}`));
      }
    }
    if (inputs.length === 0) throw new CliError('export needs --uri URI, --key-file FILE or - (stdin)');
    const keys = inputs.map(parseAccount);
    for (const [index, key] of keys.entries()) checkExportable(key, inputs[index]!.origin);
    const uris = buildMigrationURIs(keys, { batchSize });

    const files = values.qr === undefined ? [] : batchFileNames(values.qr, uris.length);
    await refuseExistingFiles(files, { force: values.force === true, io });
    for (const [index, file] of files.entries()) {
      await writeQRFile(file, uris[index]!, { flag: '--qr', force: values.force === true, io });
    }
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(uris, null, 2)}\n`);
    } else {
      io.stdout.write(uris.map((uri) => `${uri}\n`).join(''));
      if (io.isTTY && values.qr === undefined) {
        for (const [index, uri] of uris.entries()) {
          const heading = uris.length > 1 ? `QR code ${index + 1} of ${uris.length}:\n` : '';
          io.stdout.write(`\n${heading}${await renderTerminalQR(uri, useColor(io))}`);
        }
        io.stdout.write('Scan with Google Authenticator: Transfer accounts > Import accounts.\n');
      }
    }
    for (const file of files) io.stderr.write(`Wrote the QR code to ${file}\n`);
    return 0;
  },
};

function parseAccount({ text, origin }: SecretText): OTPKey {
  if (!/^otpauth:\/\//i.test(text)) {
    throw new CliError(`${origin} is not an otpauth:// URI (export needs each account's key URI)`);
  }
  try {
    return parseKeyURI(text);
  } catch (error) {
    if (error instanceof OTPError) throw new CliError(`${origin}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * Refuses, naming the account and where it came from, a key the export format cannot carry (digits other
 * than 6 or 8, a period other than 30 s). The check is the library's own, run on the key alone, so its
 * `keys[0].` field path is replaced by the account: `keys[1].periodSeconds` means nothing to the user.
 */
function checkExportable(key: OTPKey, origin: string): void {
  try {
    buildMigrationURIs([key], { batchId: 0 });
  } catch (error) {
    if (!(error instanceof OTPError)) throw error;
    const name = key.issuer === undefined ? key.account : `${key.issuer}:${key.account}`;
    throw new CliError(
      `account ${JSON.stringify(name)} (${origin}) cannot be exported: ${error.message.replaceAll('keys[0].', '')}`,
      { cause: error },
    );
  }
}

/** `t.png` for one code; `t-1.png`, `t-2.png`, ... for several. */
function batchFileNames(path: string, count: number): string[] {
  if (count === 1) return [path];
  const dot = path.lastIndexOf('.');
  return Array.from({ length: count }, (_, i) => `${path.slice(0, dot)}-${i + 1}${path.slice(dot)}`);
}
