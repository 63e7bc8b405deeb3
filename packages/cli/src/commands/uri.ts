import { buildKeyURI, encodeBase32 } from '@twofa/otp';
import { type Command, KEY_HELP, SECRET_HELP } from '../command.ts';
import { CliError } from '../errors.ts';
import { resolveKey } from '../key-source.ts';
import { describeKeyJSON, toOTPKey, warnAboutAppSupport } from '../key-uri.ts';
import { JSON_OPTION, KEY_OPTIONS, parseOptions, SECRET_OPTIONS } from '../options.ts';

const OPTIONS = {
  issuer: { type: 'string' },
  account: { type: 'string' },
  ...SECRET_OPTIONS,
  ...KEY_OPTIONS,
  ...JSON_OPTION,
} as const;

export const uri: Command = {
  name: 'uri',
  summary: 'print the otpauth:// URI for an existing secret',
  help: `Usage: twofa uri [SECRET | -] --issuer NAME --account NAME [options]

Prints the otpauth:// key URI (the text inside an authenticator QR code) for a secret you already have.
Given a URI instead, prints it again with the flags applied.

Options:
  --issuer NAME    the service, shown in the app (required unless the URI has one)
  --account NAME   the user's account (required unless the URI has one)
  --json           print {secret, uri, ...} as JSON

${KEY_HELP}

${SECRET_HELP}

Example:
  twofa uri - --issuer Example --account alice@example.com < secret.txt
`,
  async run(args, io) {
    const { values, positionals } = parseOptions('uri', args, OPTIONS, 1);
    const key = await resolveKey(positionals[0], values, io);
    if (values.issuer !== undefined) key.issuer = values.issuer;
    if (values.account !== undefined) key.account = values.account;
    if (key.issuer === undefined || key.issuer === '') {
      throw new CliError('uri needs --issuer NAME (the service name the app shows)');
    }
    if (key.account === undefined || key.account === '') {
      throw new CliError('uri needs --account NAME (the user name or email the app shows)');
    }
    if (key.type === 'hotp' && key.counter === undefined) key.counter = 0n;
    const text = buildKeyURI(toOTPKey(key));
    warnAboutAppSupport(key, io);
    if (values.json === true) {
      const secret = encodeBase32(key.secret, { padding: false });
      io.stdout.write(`${JSON.stringify(describeKeyJSON(key, secret, text), null, 2)}\n`);
    } else {
      io.stdout.write(`${text}\n`);
    }
    return 0;
  },
};
