/** The password step of signing in. */
import { html } from 'hono/html';
import { type Frame, layout } from './layout.ts';
import { csrfField, field, type Html, type NoticeKind, notice, submit } from './parts.ts';

export interface LoginView {
  readonly frame: Frame;
  readonly email?: string;
  readonly message?: { readonly kind: NoticeKind; readonly text: string };
}

export function loginPage(view: LoginView): Html {
  // After a refused attempt the email is filled in: the password is what to type again.
  const emailGiven = Boolean(view.email);
  return layout(
    view.frame,
    html`<h1>Log in</h1>
${view.message ? notice(view.message.kind, view.message.text) : ''}
<form method="post" action="/login" class="stack">
  ${csrfField(view.frame.csrf)}
  ${field({ id: 'email', name: 'email', label: 'Email', type: 'email', autocomplete: 'username', value: view.email ?? '', autofocus: !emailGiven })}
  ${field({ id: 'password', name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', autofocus: emailGiven })}
  ${submit('Continue')}
</form>
<p><a href="/password/forgot">Forgot your password?</a></p>
<p>No account yet? <a href="/signup">Create one</a>.</p>`,
  );
}
