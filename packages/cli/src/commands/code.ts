import { generateHOTP, generateTOTP, getTOTPSecondsRemaining } from '@twofa/otp';
import { type Command, KEY_HELP, SECRET_HELP } from '../command.ts';
import { CliError } from '../errors.ts';
import { describeAccount, groupCode, paint } from '../format.ts';
import { type IO, useColor } from '../io.ts';
import { type CliKey, resolveKey } from '../key-source.ts';
import { JSON_OPTION, KEY_OPTIONS, parseOptions, parseTimeOption, SECRET_OPTIONS } from '../options.ts';

const OPTIONS = {
  ...SECRET_OPTIONS,
  ...KEY_OPTIONS,
  time: { type: 'string' },
  watch: { type: 'boolean' },
  ...JSON_OPTION,
} as const;

/** Width of the --watch countdown bar, in characters; narrower when the terminal is. */
const BAR_WIDTH = 30;
/** Below this much room for the bar, the account label makes way for it. */
const MIN_BAR_WIDTH = 10;
/** Assumed when the terminal does not say how wide it is. */
const DEFAULT_COLUMNS = 80;

export const code: Command = {
  name: 'code',
  summary: 'print the current one-time code (or --watch it like an authenticator app)',
  help: `Usage: twofa code [SECRET | -] [options]

Prints the current code alone on one line. The secret itself is never printed.

Options:
  --time UNIX_SECONDS   the code at that time instead of now
  --watch               show the live code with a bar for the seconds left, until Ctrl-C
  --json                print {code, periodSeconds, remainingSeconds} (or {code, counter}) as JSON

${KEY_HELP}

${SECRET_HELP}

Examples:
  twofa code --key-file alice.key
  TWOFA_SECRET=JBSWY3DPEHPK3PXP twofa code --watch
  pass show example/2fa | twofa code -
`,
  async run(args, io) {
    const { values, positionals } = parseOptions('code', args, OPTIONS, 1);
    const key = await resolveKey(positionals[0], values, io);
    if (key.type === 'hotp') {
      if (values.time !== undefined)
        throw new CliError('--time applies to TOTP keys; HOTP codes follow --counter');
      if (values.watch === true)
        throw new CliError('--watch shows TOTP codes; HOTP codes change only when used');
      if (key.counter === undefined)
        throw new CliError('HOTP needs --counter N (the counter of the next code)');
      const otp = generateHOTP({
        secret: key.secret,
        counter: key.counter,
        algorithm: key.algorithm,
        digits: key.digits,
      });
      const counter =
        key.counter <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(key.counter) : String(key.counter);
      io.stdout.write(values.json === true ? `${JSON.stringify({ code: otp, counter })}\n` : `${otp}\n`);
      return 0;
    }
    if (values.watch === true) {
      if (values.time !== undefined) throw new CliError('--watch shows the live code; drop --time');
      if (values.json === true) throw new CliError('--watch draws for a person; drop --json');
      await watchCodes(key, io);
      return 0;
    }
    const nowMs = values.time === undefined ? io.clock.nowMs() : parseTimeOption(values.time);
    const otp = totpAt(key, nowMs);
    if (values.json === true) {
      const remainingSeconds = secondsLeft(key.periodSeconds, nowMs);
      io.stdout.write(
        `${JSON.stringify({ code: otp, periodSeconds: key.periodSeconds, remainingSeconds })}\n`,
      );
    } else {
      io.stdout.write(`${otp}\n`);
    }
    return 0;
  },
};

function totpAt(key: CliKey, nowMs: number): string {
  return generateTOTP({
    secret: key.secret,
    nowMs,
    periodSeconds: key.periodSeconds,
    algorithm: key.algorithm,
    digits: key.digits,
  });
}

function secondsLeft(periodSeconds: number, nowMs: number): number {
  return getTOTPSecondsRemaining({ periodSeconds, nowMs });
}

/**
 * Redraws the code and a countdown bar in place once a second until stopSignal aborts (Ctrl-C). When stdout
 * is not a terminal there is nothing to redraw: it prints each new code on its own line instead.
 */
async function watchCodes(key: CliKey, io: IO): Promise<void> {
  const signal = io.stopSignal();
  const color = useColor(io);
  const label = describeAccount(key);
  let shown: string | undefined;
  if (io.isTTY) io.stdout.write('\x1b[?25l'); // hide the cursor while redrawing
  try {
    while (!signal.aborted) {
      const nowMs = io.clock.nowMs();
      const otp = totpAt(key, nowMs);
      if (io.isTTY) {
        const left = secondsLeft(key.periodSeconds, nowMs);
        const seconds = `${String(left).padStart(2)}s`;
        // The line must stay narrower than the terminal: a wrapped line cannot be redrawn in place with \r,
        // so every redraw would scroll. The label goes first, then the bar shrinks.
        const columns = io.terminalColumns?.() ?? DEFAULT_COLUMNS;
        const room = columns - 1 - (groupCode(otp).length + 2 + 1 + seconds.length);
        const prefix = label === '' || label.length + 2 + MIN_BAR_WIDTH > room ? '' : `${label}  `;
        const width = Math.max(0, Math.min(BAR_WIDTH, room - prefix.length));
        const filled = Math.round((width * left) / key.periodSeconds);
        const bar = paint('█'.repeat(filled), left <= 5 ? 'red' : left <= 10 ? 'yellow' : 'green', color);
        const rest = paint('░'.repeat(width - filled), 'dim', color);
        io.stdout.write(`\r\x1b[2K${prefix}${groupCode(otp)}  ${bar}${rest} ${seconds}`);
      } else if (otp !== shown) {
        io.stdout.write(`${otp}\n`);
      }
      shown = otp;
      await io.clock.sleep(1000 - (nowMs % 1000), signal);
    }
  } finally {
    if (io.isTTY) io.stdout.write('\n\x1b[?25h');
  }
}
