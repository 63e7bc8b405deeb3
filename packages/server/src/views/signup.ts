/** Sign-up form: email and a new password. */
import { html } from 'hono/html';
import { type Frame, layout } from './layout.ts';
import { csrfField, errorFor, type FormError, field, formNotice, type Html, submit } from './parts.ts';

export interface SignupView {
  readonly frame: Frame;
  readonly email?: string;
  readonly error?: FormError;
}

export function signupPage(view: SignupView): Html {
  const emailError = errorFor(view.error, 'email');
  const passwordError = errorFor(view.error, 'password');
  return layout(
    view.frame,
    html`<h1>Create an account</h1>
${formNotice(view.error)}
<form method="post" action="/signup" class="stack">
  ${csrfField(view.frame.csrf)}
  ${field({ id: 'email', name: 'email', label: 'Email', type: 'email', autocomplete: 'username', value: view.email ?? '', autofocus: passwordError === undefined, error: emailError })}
  ${field({ id: 'password', name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', minlength: 8, hint: 'At least 8 characters. A long passphrase is best.', error: passwordError })}
  ${submit('Create account')}
</form>
<p>Already have an account? <a href="/login">Log in</a>.</p>`,
  );
}
