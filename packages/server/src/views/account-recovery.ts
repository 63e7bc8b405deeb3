/**
 * Account recovery's pages: asking (from the code page), the pages the emailed links open (a button each:
 * opening a link changes nothing), and what happens next.
 */
import { html } from 'hono/html';
import { type Frame, layout } from './layout.ts';
import { csrfField, type Html, notice, submit } from './parts.ts';

export function recoveryRequestPage(view: {
  frame: Frame;
  hours: number;
  error?: string;
  sent?: boolean;
}): Html {
  if (view.sent) {
    return layout(
      view.frame,
      html`<h1>Check your email</h1>
<p>We sent a link to your account's email address. Open it to confirm the request; then your account waits ${view.hours} hours, and you are told by every channel, before the lost second factors can be removed.</p>`,
    );
  }
  return layout(
    view.frame,
    html`<h1>Recover your account</h1>
${notice('error', view.error)}
<p>Lost your authenticator app <em>and</em> your recovery codes? You can recover the account with your password and your email:</p>
<ol>
  <li>We email you a link to confirm the request.</li>
  <li>The account then waits <strong>${view.hours} hours</strong>. You are told by every channel and can cancel with one click, from the message or any signed-in device.</li>
  <li>After the wait, log in with your password: the lost second factors are removed and you set up new ones.</li>
</ol>
<form method="post" action="/login/account-recovery">
  ${csrfField(view.frame.csrf)}
  ${submit('Email me the link')}
</form>
<p><a href="/login/code">Back</a></p>`,
  );
}

/** The page a recovery link opens: a button that confirms or cancels; or why the link no longer works. */
export function recoveryLinkPage(view: {
  frame: Frame;
  kind: 'confirm' | 'cancel';
  token: string | null;
  error?: string;
}): Html {
  const heading = view.kind === 'confirm' ? 'Confirm account recovery' : 'Cancel account recovery';
  if (view.token === null) {
    return layout(
      view.frame,
      html`<h1>${heading}</h1>${notice('error', view.error)}<p><a href="/">Back to the start</a></p>`,
    );
  }
  return layout(
    view.frame,
    html`<h1>${heading}</h1>
<p>${view.kind === 'confirm' ? 'Press the button to start the waiting period. You will be told by every channel.' : 'Press the button to cancel the recovery: your second factors stay as they are.'}</p>
<form method="post" action="/recovery/${view.kind}">
  ${csrfField(view.frame.csrf)}
  <input type="hidden" name="token" value="${view.token}">
  ${submit(view.kind === 'confirm' ? 'Start the waiting period' : 'Cancel the recovery', view.kind === 'confirm' ? 'primary' : 'danger')}
</form>`,
  );
}

export function recoveryDonePage(view: { frame: Frame; kind: 'confirm' | 'cancel'; hours: number }): Html {
  return layout(
    view.frame,
    view.kind === 'confirm'
      ? html`<h1>Account recovery started</h1>
${notice('success', `Your account now waits ${view.hours} hours. After that, log in with your password to remove the lost second factors and set up new ones.`)}
<p>If you find your phone or recovery codes meanwhile, just sign in as usual and cancel the recovery on the Security page.</p>`
      : html`<h1>Account recovery cancelled</h1>
${notice('success', 'The recovery is cancelled. Your second factors stay as they are.')}
<p>If you did not start it, someone knows your password: change it as soon as you are signed in.</p>`,
  );
}
