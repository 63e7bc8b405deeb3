/** The second step of signing in: a code from the authenticator app. */
import { html } from 'hono/html';
import { type Frame, layout } from './layout.ts';
import { codeField, csrfField, type Html, notice, submit } from './parts.ts';

export interface LoginCodeView {
  readonly frame: Frame;
  readonly error?: string;
}

export function loginCodePage(view: LoginCodeView): Html {
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
