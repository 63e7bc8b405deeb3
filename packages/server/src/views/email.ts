/**
 * Pages about the account's email address: "check your email" after sign-up (the same page whether or not
 * the address already had an account), and the page a verification link opens (a button: opening a link
 * changes nothing, so a mail scanner that follows it verifies nothing).
 */
import { html } from 'hono/html';
import { type Frame, layout } from './layout.ts';
import { csrfField, type Html, notice, submit } from './parts.ts';

export function checkEmailPage(view: { frame: Frame; email: string }): Html {
  return layout(
    view.frame,
    html`<h1>Check your email</h1>
<p>We sent a message to <strong>${view.email}</strong>. Open the link in it to confirm the address, or log in and enter the 6-digit code it holds on the Security page.</p>
<p>Your account works before you confirm, but until then the address cannot be used to reset your password and is sent no security notices.</p>
<p>No message within a few minutes? Check the spam folder. If the address already has an account, its owner was told instead: <a href="/login">log in</a>, or use <a href="/password/forgot">Forgot password</a>.</p>
<p><a class="button button-primary" href="/login">Log in</a></p>`,
  );
}

export function verifyLinkPage(view: { frame: Frame; token: string | null; error?: string }): Html {
  if (view.token === null) {
    return layout(
      view.frame,
      html`<h1>Confirm your email address</h1>
${notice('error', view.error)}
<p>Log in and ask for a new message on the Security page.</p>
<p><a href="/login">Log in</a></p>`,
    );
  }
  return layout(
    view.frame,
    html`<h1>Confirm your email address</h1>
<p>Press the button to confirm that this address is yours.</p>
<form method="post" action="/email/verify">
  ${csrfField(view.frame.csrf)}
  <input type="hidden" name="token" value="${view.token}">
  ${submit('Confirm my email address')}
</form>`,
  );
}

export function emailVerifiedPage(view: { frame: Frame; signedIn: boolean }): Html {
  return layout(
    view.frame,
    html`<h1>Email address confirmed</h1>
${notice('success', 'Your email address is confirmed. It can now reset your password and receives security notices.')}
<p>${view.signedIn ? html`<a href="/security">Back to Security</a>` : html`<a href="/login">Log in</a>`}</p>`,
  );
}
