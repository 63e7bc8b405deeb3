/**
 * Where a command's secret comes from, resolved in one place. A secret on the command line shows up in `ps`
 * and in shell history, so every command also takes it from stdin (`-`), from TWOFA_SECRET, or from a file
 * (`--key-file`); `--uri` and a positional SECRET remain for quick experiments.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { decodeBase32, OTPError, type OTPKey, parseKeyURI } from '@twofa/otp';
import { CliError } from './errors.ts';
import { readTextFile } from './files.ts';
import type { IO } from './io.ts';
import {
  type Algorithm,
  type KEY_OPTIONS,
  parseAlgorithmOption,
  parseCounterOption,
  parseIntegerOption,
  type SECRET_OPTIONS,
} from './options.ts';

/** A key as the commands use it: TOTP or HOTP parameters settled, names when known. */
export interface CliKey {
  type: 'totp' | 'hotp';
  secret: Uint8Array;
  algorithm: Algorithm;
  digits: number;
  periodSeconds: number;
  /** HOTP only; absent when neither the URI nor --counter gave one. */
  counter?: bigint;
  issuer?: string;
  account?: string;
}

type OptionValues<T> = { [K in keyof T]?: T[K] extends { type: 'boolean' } ? boolean : string };
export type SecretValues = OptionValues<typeof SECRET_OPTIONS>;
export type KeyValues = OptionValues<typeof KEY_OPTIONS>;

export interface SecretText {
  text: string;
  /** Names the source in error messages ("stdin", "TWOFA_SECRET", "--key-file k.txt"). */
  origin: string;
}

/** RFC 6238 s5.2 recommends 30 s; a day is a generous upper bound for anything an app would accept. */
const MAX_PERIOD_SECONDS = 86_400;

/**
 * The text holding the secret (a base32 secret or an otpauth:// URI), from exactly one source: SECRET
 * (`-` = stdin), --uri, --key-file, and only when none of those is given, TWOFA_SECRET. `argument` is what
 * the command's help calls its positional (`SECRET`; `URI` for qr), so messages use the same word.
 */
export async function readSecretText(
  positional: string | undefined,
  values: SecretValues,
  io: IO,
  argument = 'SECRET',
): Promise<SecretText> {
  const given = [positional, values.uri, values['key-file']].filter((v) => v !== undefined).length;
  if (given > 1) {
    throw new CliError(`give the secret one way only: ${argument} (or - for stdin), --uri or --key-file`);
  }
  let source: SecretText;
  if (positional === '-') {
    source = { text: await io.stdin.read(), origin: 'stdin' };
  } else if (positional !== undefined) {
    source = { text: positional, origin: `the ${argument} argument` };
  } else if (values.uri !== undefined) {
    source = { text: values.uri, origin: '--uri' };
    if (!/^otpauth:\/\//i.test(values.uri.trim())) throw new CliError('--uri must be an otpauth:// URI');
  } else if (values['key-file'] !== undefined) {
    const path = values['key-file'];
    source = { text: await readTextFile(path, '--key-file', io), origin: `--key-file ${path}` };
    await warnIfShared(path, io);
  } else if (io.env.TWOFA_SECRET !== undefined && io.env.TWOFA_SECRET !== '') {
    source = { text: io.env.TWOFA_SECRET, origin: 'TWOFA_SECRET' };
  } else {
    throw new CliError(
      `no secret: pass ${argument}, - to read it from stdin, --key-file FILE, or set TWOFA_SECRET`,
    );
  }
  const lines = source.text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length === 0) throw new CliError(`${source.origin} is empty`);
  if (lines.length > 1)
    throw new CliError(`${source.origin} holds ${lines.length} lines; expected one secret`);
  return { text: lines[0]!, origin: source.origin };
}

/** Parses a base32 secret or an otpauth:// URI; OTP errors are prefixed with where the text came from. */
export function parseSecretText({ text, origin }: SecretText): CliKey {
  if (/^otpauth-migration:/i.test(text)) {
    throw new CliError(`${origin} is a Google Authenticator export; list its accounts with twofa import`);
  }
  try {
    if (/^otpauth:/i.test(text)) return fromOTPKey(parseKeyURI(text));
    return { type: 'totp', secret: decodeBase32(text), algorithm: 'SHA1', digits: 6, periodSeconds: 30 };
  } catch (error) {
    if (error instanceof OTPError) throw new CliError(`${origin}: ${error.message}`, { cause: error });
    throw error;
  }
}

export function fromOTPKey(key: OTPKey): CliKey {
  const result: CliKey = {
    type: key.type,
    secret: key.secret,
    algorithm: key.algorithm,
    digits: key.digits,
    periodSeconds: key.periodSeconds ?? 30,
    account: key.account,
  };
  if (key.issuer !== undefined) result.issuer = key.issuer;
  if (key.counter !== undefined) result.counter = BigInt(key.counter);
  return result;
}

/** Applies --algorithm, --digits, --period, --hotp and --counter over what the source said. */
export function applyKeyOptions(key: CliKey, values: KeyValues): CliKey {
  const result: CliKey = { ...key };
  if (values.algorithm !== undefined) result.algorithm = parseAlgorithmOption(values.algorithm);
  if (values.digits !== undefined) result.digits = parseIntegerOption(values.digits, '--digits', 6, 10);
  // --counter on its own means HOTP: a counter has no other use.
  if (values.hotp === true || values.counter !== undefined) result.type = 'hotp';
  if (values.counter !== undefined) result.counter = parseCounterOption(values.counter);
  if (values.period !== undefined) {
    if (result.type === 'hotp') throw new CliError('--period applies to TOTP keys, not HOTP ones');
    result.periodSeconds = parseIntegerOption(values.period, '--period', 1, MAX_PERIOD_SECONDS);
  }
  return result;
}

/** readSecretText + parseSecretText + applyKeyOptions: what code, verify and uri need. */
export async function resolveKey(
  positional: string | undefined,
  values: SecretValues & KeyValues,
  io: IO,
): Promise<CliKey> {
  return applyKeyOptions(parseSecretText(await readSecretText(positional, values, io)), values);
}

/** Like ssh with a private key: a key file others can read is worth a warning, not a refusal. */
async function warnIfShared(path: string, io: IO): Promise<void> {
  try {
    const { mode } = await stat(resolve(io.cwd, path));
    if ((mode & 0o077) !== 0 && process.platform !== 'win32') {
      io.stderr.write(`twofa: warning: ${path} is readable by other users; run chmod 600 ${path}\n`);
    }
  } catch {
    // already read successfully; a failed stat is not worth failing over
  }
}

/** Non-empty lines of a list input (stdin, a file of URIs), each named for error messages; `#` starts a comment. */
export function splitLines(text: string, origin: string): SecretText[] {
  return text
    .split(/\r?\n/)
    .map((line, index) => ({ text: line.trim(), origin: `${origin} line ${index + 1}` }))
    .filter((line) => line.text !== '' && !line.text.startsWith('#'));
}
