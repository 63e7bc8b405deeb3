/** Sign-up form: email and a new password. */
import { html } from 'hono/html';
import { type Frame, layout } from './layout.ts';
import { csrfField, field, type Html, notice, submit } from './parts.ts';

export interface SignupView {
  readonly frame: Frame;
  readonly email?: string;
  readonly error?: string;
}

export function signupPage(view: SignupView): Html {
  return layout(
    view.frame,
    html`<h1>Create an account</h1>
${notice('error', view.error)}
<form method="post" action="/signup" class="stack">
  ${csrfField(view.frame.csrf)}
  ${field({ id: 'email', name: 'email', label: 'Email', type: 'email', autocomplete: 'email', value: view.email ?? '', autofocus: true })}
  ${field({ id: 'password', name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', minlength: 8, hint: 'At least 8 characters. A long passphrase is best.' })}
  ${submit('Create account')}
</form>
<p>Already have an account? <a href="/login">Log in</a>.</p>`,
  );
}
