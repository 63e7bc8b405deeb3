/**
 * Option parsing shared by every command: `node:util` parseArgs, strict, with errors turned into one-line
 * `CliError`s that never echo an argument's value (an unexpected argument may well be a secret).
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { CliError } from './errors.ts';

/** Where the secret comes from, besides a positional SECRET (or `-` for stdin) and TWOFA_SECRET. */
export const SECRET_OPTIONS = {
  uri: { type: 'string' },
  'key-file': { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

/** Key parameters; they override what an otpauth:// URI says. */
export const KEY_OPTIONS = {
  algorithm: { type: 'string' },
  digits: { type: 'string' },
  period: { type: 'string' },
  hotp: { type: 'boolean' },
  counter: { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

export const JSON_OPTION = { json: { type: 'boolean' } } as const satisfies ParseArgsOptionsConfig;

export function parseOptions<T extends ParseArgsOptionsConfig>(
  command: string,
  args: string[],
  options: T,
  maxPositionals: number,
) {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true; tokens: true }>
  >;
  try {
    // tokens: commands that take several inputs (export) keep them in command-line order.
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    throw new CliError(`${describeParseError(error)} (see twofa ${command} --help)`);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new CliError(
      maxPositionals === 0
        ? `${command} takes no arguments besides options (see twofa ${command} --help)`
        : `too many arguments: ${command} takes at most ${maxPositionals} (see twofa ${command} --help)`,
    );
  }
  return parsed;
}

function describeParseError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  // parseArgs quotes the option name in its messages; keep the name and drop any value.
  const name = /'(-{1,2}[A-Za-z0-9-]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return name ? `unknown option ${name}` : 'unknown option';
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return name ? `option ${name} needs a value` : 'an option is missing its value';
    default:
      return 'invalid arguments';
  }
}

/** A whole number from `min` to `max`, else a CliError naming the flag. */
export function parseIntegerOption(value: string, flag: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`${flag} must be a whole number from ${min} to ${max}`);
  }
  return n;
}

/** RFC 4226 s5.1: the counter is an 8-byte unsigned value. */
const MAX_COUNTER = (1n << 64n) - 1n;

export function parseCounterOption(value: string, flag = '--counter'): bigint {
  if (!/^\d+$/.test(value) || BigInt(value) > MAX_COUNTER) {
    throw new CliError(`${flag} must be a whole number from 0 to 2^64-1`);
  }
  return BigInt(value);
}

/** Unix time in seconds (fractions allowed) as milliseconds. */
export function parseTimeOption(value: string, flag = '--time'): number {
  if (!/^\d+(\.\d+)?$/.test(value))
    throw new CliError(`${flag} must be Unix time in seconds, like 1700000000`);
  const ms = Number(value) * 1000;
  if (!Number.isSafeInteger(Math.floor(ms))) throw new CliError(`${flag} is too large`);
  return ms;
}

export type Algorithm = 'SHA1' | 'SHA256' | 'SHA512';

export function parseAlgorithmOption(value: string): Algorithm {
  const normal = value.toUpperCase().replace('-', '');
  if (normal === 'SHA1' || normal === 'SHA256' || normal === 'SHA512') return normal;
  throw new CliError('--algorithm must be SHA1, SHA256 or SHA512');
}
