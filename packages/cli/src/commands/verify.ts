import { normalizeCode, verifyHOTP, verifyTOTP } from '@twofa/otp';
import { type Command, KEY_HELP, SECRET_HELP } from '../command.ts';
import { CliError } from '../errors.ts';
import { paint } from '../format.ts';
import { useColor } from '../io.ts';
import { resolveKey } from '../key-source.ts';
import {
  JSON_OPTION,
  KEY_OPTIONS,
  parseIntegerOption,
  parseOptions,
  parseTimeOption,
  SECRET_OPTIONS,
} from '../options.ts';

const OPTIONS = {
  ...SECRET_OPTIONS,
  ...KEY_OPTIONS,
  window: { type: 'string' },
  time: { type: 'string' },
  ...JSON_OPTION,
} as const;

/** RFC 4226 s5.3: at most 10 digits, so at most 10 groups of them. */
const MAX_CODE_GROUPS = 10;

/** RFC 6238 s5.2 recommends at most one step of network delay either way. */
const DEFAULT_TOTP_WINDOW = 1;
const MAX_WINDOW = 100;

export const verify: Command = {
  name: 'verify',
  summary: 'check a one-time code: exit 0 when valid, 1 when not',
  help: `Usage: twofa verify CODE [SECRET | -] [options]

Checks CODE against the secret. CODE may be typed as apps show it: 123 456 (with or without quotes),
123-456, or with full-width digits. Prints "valid (delta N)" and exits 0 when it matches, N being how many
time steps (TOTP) or counter values (HOTP) away it was found; prints "invalid" and exits 1 when not.
Neither the secret nor the code is ever printed.

Options:
  --window N            TOTP: accept codes up to N steps before or after now (default ${DEFAULT_TOTP_WINDOW})
                        HOTP: look up to N counter values ahead (default 0)
  --time UNIX_SECONDS   check against that time instead of now
  --json                print {valid, delta, step} (or {valid, delta, counter}) as JSON

${KEY_HELP}

${SECRET_HELP}

Examples:
  twofa verify 123456 --key-file alice.key && echo welcome
  twofa verify 123456 --hotp --counter 7 --window 5 --key-file token.key
`,
  async run(args, io) {
    const { values, positionals } = parseOptions('verify', args, OPTIONS, MAX_CODE_GROUPS + 1);
    const { otp, secretArg } = splitCodeArguments(positionals);
    const window =
      values.window === undefined ? undefined : parseIntegerOption(values.window, '--window', 0, MAX_WINDOW);
    const key = await resolveKey(secretArg, values, io);
    const color = useColor(io);

    const report = (result: Record<string, unknown>, text: string, valid: boolean): number => {
      if (values.json === true) io.stdout.write(`${JSON.stringify(result)}\n`);
      else io.stdout.write(`${paint(text, valid ? 'green' : 'red', color)}\n`);
      return valid ? 0 : 1;
    };

    if (otp.length !== key.digits) {
      io.stderr.write(`twofa: the code has ${otp.length} digits; this key makes ${key.digits}-digit codes\n`);
      return report({ valid: false }, 'invalid', false);
    }

    if (key.type === 'hotp') {
      if (values.time !== undefined)
        throw new CliError('--time applies to TOTP keys; HOTP codes follow --counter');
      if (key.counter === undefined) throw new CliError('HOTP needs --counter N (the next expected counter)');
      const result = verifyHOTP({
        secret: key.secret,
        code: otp,
        counter: key.counter,
        lookAhead: window ?? 0,
        algorithm: key.algorithm,
        digits: key.digits,
      });
      if (!result.valid) return report({ valid: false }, 'invalid', false);
      const counter = BigInt(result.counter);
      const json = {
        valid: true,
        delta: result.delta,
        counter: jsonInteger(counter),
        nextCounter: jsonInteger(counter + 1n),
      };
      return report(
        json,
        `valid (delta ${result.delta}, counter ${counter}; next counter ${counter + 1n})`,
        true,
      );
    }

    const nowMs = values.time === undefined ? io.clock.nowMs() : parseTimeOption(values.time);
    const result = verifyTOTP({
      secret: key.secret,
      code: otp,
      nowMs,
      periodSeconds: key.periodSeconds,
      algorithm: key.algorithm,
      digits: key.digits,
      window: window ?? DEFAULT_TOTP_WINDOW,
    });
    if (!result.valid) return report({ valid: false }, 'invalid', false);
    return report(
      { valid: true, delta: result.delta, step: jsonInteger(BigInt(result.step)) },
      `valid (delta ${result.delta})`,
      true,
    );
  },
};

/**
 * The code and the SECRET argument. Apps show codes in groups ("123 456") and people type them that way
 * without quotes, so the leading arguments that are all digits are one code; what follows is SECRET.
 * A real secret is never all digits (base32 has no 0, 1, 8 or 9, and a few digits make no usable key).
 */
function splitCodeArguments(positionals: string[]): { otp: string; secretArg: string | undefined } {
  if (positionals.length === 0)
    throw new CliError('verify needs the CODE to check (see twofa verify --help)');
  let groups = 0;
  while (groups < positionals.length && /^\d+$/.test(normalizeCode(positionals[groups]!))) groups++;
  // Never echo the code: it may be valid for a few more seconds.
  if (groups === 0) throw new CliError('CODE must be digits only (spaces and hyphens are fine)');
  if (positionals.length > groups + 1) {
    throw new CliError(
      'too many arguments: verify takes CODE and at most one SECRET (see twofa verify --help)',
    );
  }
  return {
    otp: positionals.slice(0, groups).map(normalizeCode).join(''),
    secretArg: positionals[groups],
  };
}

function jsonInteger(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : String(value);
}
