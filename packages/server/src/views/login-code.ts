/**
 * The second step of signing in: a code from the authenticator app, or (the way back when the phone is lost)
 * a recovery code on its own page.
 */
import { html } from 'hono/html';
import { type Frame, layout } from './layout.ts';
import { codeField, csrfField, field, type Html, notice, submit } from './parts.ts';

export interface LoginCodeView {
  readonly frame: Frame;
  readonly error?: string;
  /** The user's 6-digit codes are locked: this message (with the wait) replaces the form. */
  readonly locked?: string;
  /** The sign-in may use a recovery code instead. */
  readonly recoveryAvailable: boolean;
  /** The channels a code may be sent by instead. */
  readonly channels?: readonly MessageChannel[];
  /** The sign-in may use a hardware token instead. */
  readonly tokenAvailable?: boolean;
}

export type MessageChannel = 'email' | 'sms';

const CHANNEL_WORDS: Record<MessageChannel, { title: string; intro: string; label: 'message' }> = {
  email: {
    title: 'Get a code by email',
    intro: "We send a 6-digit code to your account's email address.",
    label: 'message',
  },
  sms: {
    title: 'Get a code by text message',
    intro: 'We text a 6-digit code to your phone number.',
    label: 'message',
  },
};

/** The title of a channel's code page. */
export function channelTitle(channel: MessageChannel): string {
  return CHANNEL_WORDS[channel].title;
}

export function loginCodePage(view: LoginCodeView): Html {
  const recoveryLink = view.recoveryAvailable
    ? html`<p class="lost-phone">Lost your phone? <a href="/login/recovery">Use a recovery code</a>.</p>`
    : html`<p class="lost-phone">Lost your phone?</p>`;
  const everything = html`<p class="lost-phone">Lost every way in? <a href="/login/account-recovery">Recover your account</a> with your email (it takes a waiting period).</p>`;
  if (view.locked !== undefined) {
    return layout(
      view.frame,
      html`<h1>Enter your code</h1>
${notice('error', view.locked)}
<p>If you did not enter these codes, someone who knows your password may be trying to sign in: change your
password as soon as you are signed in.</p>
${recoveryLink}
${everything}`,
    );
  }
  return layout(
    view.frame,
    html`<h1>Enter your code</h1>
<p>Open your authenticator app and type the 6-digit code it shows for this account.</p>
<form method="post" action="/login/code" class="stack">
  ${csrfField(view.frame.csrf)}
  ${codeField('code', { autofocus: true, error: view.error })}
  ${rememberDeviceField()}
  ${submit('Verify')}
</form>
${view.tokenAvailable ? html`<p><a href="/login/token">Use your hardware token</a></p>` : ''}
${(view.channels ?? []).map((channel) => html`<p><a href="/login/${channel}">${CHANNEL_WORDS[channel].title}</a></p>`)}
${recoveryLink}
${everything}`,
  );
}

export interface LoginTokenView {
  readonly frame: Frame;
  readonly error?: string;
  /** The error of the "Token out of sync?" form. */
  readonly resyncError?: string;
  /** The user's 6-digit codes are locked: this message (with the wait) replaces the forms. */
  readonly locked?: string;
  readonly recoveryAvailable: boolean;
  /** The sign-in may use the app instead. */
  readonly appAvailable: boolean;
  readonly channels: readonly MessageChannel[];
}

/**
 * The second step with a hardware token (OATH-HOTP): one code, or (a token pressed many times away from
 * here) two consecutive codes to bring it back in step, which counts as one attempt.
 */
export function loginTokenPage(view: LoginTokenView): Html {
  const body =
    view.locked !== undefined
      ? notice('error', view.locked)
      : html`<form method="post" action="/login/token" class="stack">
  ${csrfField(view.frame.csrf)}
  ${codeField('token-code', { shape: 'token', autofocus: view.resyncError === undefined, error: view.error })}
  ${rememberDeviceField()}
  ${submit('Verify')}
</form>
<details${view.resyncError === undefined ? '' : html` open`}>
  <summary>Token out of sync?</summary>
  <p>If the token was pressed many times without signing in, its codes run ahead of what we expect. Press the
  button twice and enter both codes, in order: that brings it back in step and signs you in.</p>
  ${view.resyncError === undefined ? '' : notice('error', view.resyncError)}
  <form method="post" action="/login/token/resync" class="stack">
    ${csrfField(view.frame.csrf)}
    ${field({ id: 'token-resync-first', name: 'code', label: 'First code', type: 'text', autocomplete: 'one-time-code', numeric: true })}
    ${field({ id: 'token-resync-second', name: 'nextCode', label: 'Next code', type: 'text', autocomplete: 'one-time-code', numeric: true })}
    ${rememberDeviceField('token-resync-remember-device')}
    ${submit('Resynchronise and sign in', 'secondary')}
  </form>
</details>`;
  return layout(
    view.frame,
    html`<h1>Use your hardware token</h1>
<p>Press the button on your token and type the 6 digits it shows.</p>
${body}
${view.appAvailable ? html`<p><a href="/login/code">Use the code from your app instead</a></p>` : ''}
${view.channels.map((channel) => html`<p><a href="/login/${channel}">${CHANNEL_WORDS[channel].title}</a></p>`)}
${view.recoveryAvailable ? html`<p class="lost-phone"><a href="/login/recovery">Use a recovery code</a></p>` : ''}
<p class="lost-phone">Lost every way in? <a href="/login/account-recovery">Recover your account</a> with your email (it takes a waiting period).</p>`,
  );
}

export interface LoginMessageView {
  readonly frame: Frame;
  readonly channel: MessageChannel;
  readonly error?: string;
  /** A code was just sent. */
  readonly sent?: boolean;
  /** Codes are locked: this message (with the wait) replaces the form. */
  readonly locked?: string;
  readonly recoveryAvailable: boolean;
  /** The sign-in may use the app instead. */
  readonly appAvailable: boolean;
}

/** The second step with a code sent by email or text message: send it, then type it. */
export function loginMessagePage(view: LoginMessageView): Html {
  const words = CHANNEL_WORDS[view.channel];
  const where = view.channel === 'email' ? 'your email address' : 'your phone';
  const form =
    view.locked !== undefined
      ? notice('error', view.locked)
      : html`${view.sent ? notice('success', `A code is on its way to ${where}. It works once, within 10 minutes.`) : ''}
<form method="post" action="/login/${view.channel}" class="stack">
  ${csrfField(view.frame.csrf)}
  ${codeField(`${view.channel}-code`, { shape: 'message', autofocus: true, error: view.error })}
  ${rememberDeviceField()}
  ${submit('Verify')}
</form>
<form method="post" action="/login/${view.channel}/send">
  ${csrfField(view.frame.csrf)}
  ${submit(view.sent ? 'Send another code' : view.channel === 'email' ? 'Email me a code' : 'Text me a code', view.sent ? 'secondary' : 'primary')}
</form>`;
  return layout(
    view.frame,
    html`<h1>${words.title}</h1>
<p>${words.intro}</p>
${form}
${view.appAvailable ? html`<p><a href="/login/code">Use the code from your app instead</a></p>` : ''}
${view.recoveryAvailable ? html`<p class="lost-phone"><a href="/login/recovery">Use a recovery code</a></p>` : ''}`,
  );
}

export interface LoginRecoveryView {
  readonly frame: Frame;
  readonly error?: string;
  /** Recovery codes are refused for now: this message (with the wait) replaces the form. */
  readonly locked?: string;
}

export function loginRecoveryPage(view: LoginRecoveryView): Html {
  const body =
    view.locked !== undefined
      ? notice('error', view.locked)
      : html`<form method="post" action="/login/recovery" class="stack">
  ${csrfField(view.frame.csrf)}
  ${field({ id: 'recovery-code', name: 'code', label: 'Recovery code', type: 'text', autocomplete: 'off', autofocus: true, hint: 'One of the codes you saved when you turned on two-factor authentication, like abcd-efgh-jkmn-pqrs. Each code works once.', error: view.error })}
  ${rememberDeviceField()}
  ${submit('Sign in')}
</form>`;
  return layout(
    view.frame,
    html`<h1>Use a recovery code</h1>
<p>Lost your phone, or no access to your authenticator app? Enter one of your saved recovery codes.</p>
${body}
<p><a href="/login/code">Back to the code from your app</a></p>`,
  );
}

/**
 * "Remember this device for 30 days", off by default: a remembered browser skips this step after the right
 * password (the security page lists it, with Revoke).
 */
function rememberDeviceField(id = 'remember-device'): Html {
  return html`<div class="field checkbox">
    <input id="${id}" name="rememberDevice" type="checkbox" value="yes" autocomplete="off">
    <label for="${id}">Remember this device for 30 days</label>
  </div>`;
}
