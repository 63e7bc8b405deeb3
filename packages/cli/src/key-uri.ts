/** Turning a CliKey back into an otpauth:// key, and what users should know about the parameters they chose. */
import type { OTPKey } from '@twofa/otp';
import { CliError } from './errors.ts';
import type { IO } from './io.ts';
import type { CliKey } from './key-source.ts';

/** The OTPKey for buildKeyURI; the key must have an account name by now. */
export function toOTPKey(key: CliKey): OTPKey {
  if (key.account === undefined || key.account === '') {
    throw new CliError('the key needs an account name: pass --account NAME');
  }
  const result: OTPKey = {
    type: key.type,
    secret: key.secret,
    account: key.account,
    algorithm: key.algorithm,
    digits: key.digits,
  };
  if (key.issuer !== undefined && key.issuer !== '') result.issuer = key.issuer;
  if (key.type === 'totp') result.periodSeconds = key.periodSeconds;
  else {
    const counter = key.counter ?? 0n;
    // otpauth:// readers take the counter as a JavaScript number; beyond 2^53 it would be silently rounded.
    if (counter > BigInt(Number.MAX_SAFE_INTEGER))
      throw new CliError('a key URI counter must be at most 2^53-1');
    result.counter = Number(counter);
  }
  return result;
}

/**
 * Google Authenticator and several other apps ignore algorithm, digits and period in a key URI and show SHA1,
 * 6-digit, 30-second codes regardless: the user would scan a key whose codes never verify.
 */
export function warnAboutAppSupport(key: CliKey, io: IO): void {
  const unusual: string[] = [];
  if (key.algorithm !== 'SHA1') unusual.push(`algorithm ${key.algorithm}`);
  if (key.digits !== 6) unusual.push(`${key.digits} digits`);
  if (key.type === 'totp' && key.periodSeconds !== 30) unusual.push(`a ${key.periodSeconds} s period`);
  if (unusual.length === 0) return;
  io.stderr.write(
    `twofa: warning: some authenticator apps ignore ${unusual.join(', ')} and would show wrong codes; ` +
      'SHA1, 6 digits and 30 s work everywhere\n',
  );
}

/** The --json shape shared by keygen and uri. */
export function describeKeyJSON(key: CliKey, secret: string, uri: string): Record<string, unknown> {
  const counter = key.counter ?? 0n;
  return {
    type: key.type,
    issuer: key.issuer,
    account: key.account,
    secret,
    algorithm: key.algorithm,
    digits: key.digits,
    ...(key.type === 'totp'
      ? { periodSeconds: key.periodSeconds }
      : { counter: counter <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(counter) : String(counter) }),
    uri,
  };
}
