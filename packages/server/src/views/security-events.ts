/** The user's security history in plain words: what happened, when, from where and on which device. */
import { html } from 'hono/html';
import type { AuditEventView, FailedSecondSteps } from '../services/types.ts';
import { deviceNameOf } from '../services/user-agent.ts';
import type { Html } from './parts.ts';

/** How a factor is named in a sentence. */
const FACTOR_WORDS: Record<string, string> = {
  totp: 'a code from your app',
  hotp: 'a code from your hardware token',
  recovery: 'a recovery code',
  email: 'a code by email',
  sms: 'a code by text message',
  device: 'a trusted device',
};

/** Why trusted devices were revoked, as a sentence's end. */
const REVOKE_WORDS: Record<string, string> = {
  owner: 'by you',
  token_reused: 'an old copy of its cookie was used',
  password_changed: 'with the password change',
  password_reset: 'with the password reset',
  second_factor_reset: 'with the removal of two-factor authentication',
  account_recovery: 'with the account recovery',
  signed_out_everywhere: 'with "Sign out everywhere"',
};

function minutes(n: unknown): string {
  const count = typeof n === 'number' ? n : 0;
  return `${count} ${count === 1 ? 'minute' : 'minutes'}`;
}

/** One event as a sentence. Unknown types (from a newer version) read as their name. */
export function describeEvent(event: AuditEventView): string {
  const d = event.details;
  switch (event.type) {
    case 'account.created':
      return 'Account created';
    case 'sign_in.succeeded':
      return `Signed in with ${FACTOR_WORDS[String(d.factor)] ?? 'your password'}`;
    case 'sign_in.failed':
      if (d.step === 'password') return 'Sign-in refused: wrong password';
      return `Sign-in refused: wrong ${wrongWords(d.factor)}`;
    case 'reauthentication.failed':
      if (d.step === 'password') return 'Change refused: wrong password';
      return `Change refused: wrong ${wrongWords(d.factor)}`;
    case 'second_factor.enabled':
      if (d.factor === 'email') return 'Codes by email turned on';
      if (d.factor === 'sms') return 'Codes by text message turned on';
      if (d.factor === 'hotp') return 'Hardware token registered';
      return 'Two-factor authentication turned on';
    case 'second_factor.disabled':
      if (d.factor === 'email') return 'Codes by email turned off';
      if (d.factor === 'sms') return 'Codes by text message turned off';
      if (d.factor === 'hotp') return 'Hardware token removed';
      return 'Two-factor authentication turned off';
    case 'second_factor.replaced':
      return 'Authenticator app replaced';
    case 'recovery_code.used':
      return `Recovery code used (${d.remaining} left)`;
    case 'recovery_codes.generated':
      return `New set of ${d.count} recovery codes made`;
    case 'password.changed':
      return 'Password changed';
    case 'password.reset':
      return 'Password reset with an emailed link';
    case 'password_reset.requested':
      return 'Password reset link sent';
    case 'email.verified':
      return 'Email address confirmed';
    case 'phone.changed':
      return 'Phone number set';
    case 'phone.verified':
      return 'Phone number verified';
    case 'account_recovery.requested':
      return 'Account recovery asked for';
    case 'account_recovery.started':
      return `Account recovery confirmed: a wait of ${d.hours} hours began`;
    case 'account_recovery.cancelled':
      return 'Account recovery cancelled';
    case 'account_recovery.completed':
      return 'Account recovery completed: second factors removed';
    case 'second_factor.reset':
      return 'Two-factor authentication removed by an administrator';
    case 'account.unlocked':
      return 'Sign-in limits lifted by an administrator';
    case 'device.trusted':
      return `Device remembered for 30 days: ${d.name}`;
    case 'device.revoked': {
      const what =
        d.deviceId === undefined
          ? `${d.count} trusted ${d.count === 1 ? 'device' : 'devices'}`
          : `Trusted device ${d.name}`;
      return `${what} revoked: ${REVOKE_WORDS[String(d.reason)] ?? String(d.reason)}`;
    }
    case 'account.signed_out_everywhere':
      return 'Signed out everywhere';
    case 'lock.started':
      if (d.limit === 'code_budget')
        return `6-digit codes refused for about ${Math.ceil(Number(d.minutes) / 60)} hours: too many wrong ones over the past weeks`;
      return d.limit === 'recovery_codes'
        ? `Too many wrong recovery codes: wrong ones slowed for ${minutes(d.minutes)}`
        : `Codes from the app refused for ${minutes(d.minutes)} after too many wrong ones`;
    default:
      return event.type;
  }
}

function wrongWords(factor: unknown): string {
  if (factor === 'recovery') return 'recovery code';
  if (factor === 'email') return 'code from the email';
  if (factor === 'sms') return 'code from the text message';
  if (factor === 'hotp') return 'code from the hardware token';
  return 'code from the app';
}

/** "Firefox on Linux" from a user agent (services/user-agent.ts); the raw text is in the title. */
export const describeDevice = deviceNameOf;

/**
 * "3 failed attempts to pass your second step since your last sign-in (last: 2026-11-30 09:12 UTC, from
 * 203.0.113.9, Firefox on Linux)." Nothing when there were none (or no earlier sign-in).
 */
export function failedSecondStepsNotice(failed: FailedSecondSteps | undefined): Html | string {
  if (failed === undefined || failed.count === 0) return '';
  const { count, last } = failed;
  const when = last === undefined ? '' : new Date(last.atMs).toISOString().slice(0, 16).replace('T', ' ');
  return html`<p class="notice notice-error" role="alert" id="failed-second-steps"><strong>${count} failed ${count === 1 ? 'attempt' : 'attempts'} to pass your second step since your last sign-in</strong>${
    last === undefined
      ? ''
      : html` (last: ${when} UTC, from ${last.ip ?? 'an unknown address'}, ${describeDevice(last.userAgent)})`
  }. Whoever made them knew your password: if they were not yours, change your password.</p>`;
}

export function recentEventsSection(events: readonly AuditEventView[]): Html {
  return html`<section aria-labelledby="activity-heading">
  <h2 id="activity-heading">Recent activity</h2>
  ${
    events.length === 0
      ? html`<p>Nothing yet.</p>`
      : html`<table class="events">
    <thead><tr><th scope="col">What</th><th scope="col">When (UTC)</th><th scope="col">From</th></tr></thead>
    <tbody>
      ${events.map(
        (event) => html`<tr>
        <td>${describeEvent(event)}</td>
        <td><time datetime="${new Date(event.atMs).toISOString()}">${new Date(event.atMs).toISOString().slice(0, 16).replace('T', ' ')}</time></td>
        <td title="${event.userAgent ?? ''}">${event.ip ?? 'unknown address'}, ${describeDevice(event.userAgent)}</td>
      </tr>`,
      )}
    </tbody>
  </table>`
  }
</section>`;
}
