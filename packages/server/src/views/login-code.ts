/** The second step of signing in: a code from the authenticator app. */
import { html } from 'hono/html';
import { type Frame, layout } from './layout.ts';
import { codeField, csrfField, type Html, notice, submit } from './parts.ts';

export interface LoginCodeView {
  readonly frame: Frame;
  readonly error?: string;
  /** The user's codes are locked: this message (with the wait) replaces the form. */
  readonly locked?: string;
}

export function loginCodePage(view: LoginCodeView): Html {
  if (view.locked !== undefined) {
    return layout(
      view.frame,
      html`<h1>Enter your code</h1>
${notice('error', view.locked)}
<p>When the wait is over, log in again with your password. If you did not enter these codes, someone who
knows your password may be trying to sign in: change your password as soon as you are signed in.</p>`,
    );
  }
  return layout(
    view.frame,
    html`<h1>Enter your code</h1>
<p>Open your authenticator app and type the 6-digit code it shows for this account.</p>
${notice('error', view.error)}
<form method="post" action="/login/code" class="stack">
  ${csrfField(view.frame.csrf)}
  ${codeField('code', true)}
  ${submit('Verify')}
</form>`,
  );
}
