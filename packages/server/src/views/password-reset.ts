/**
 * "Forgot password": ask for a link (the same answer for every address), then choose a new password on the
 * page the link opens; with two-factor authentication on, that page also asks for a code from the app or a
 * recovery code (email must not count twice).
 */
import { html } from 'hono/html';
import type { CodeShape } from '../services/types.ts';
import { type Frame, layout } from './layout.ts';
import {
  codeField,
  csrfField,
  errorFor,
  type FormError,
  field,
  formNotice,
  type Html,
  notice,
  submit,
} from './parts.ts';

export function forgotPasswordPage(view: {
  frame: Frame;
  email?: string;
  error?: FormError;
  sent?: boolean;
}): Html {
  if (view.sent) {
    return layout(
      view.frame,
      html`<h1>Check your email</h1>
<p>If <strong>${view.email ?? ''}</strong> belongs to an account whose address is confirmed, a message with a link to choose a new password is on its way. The link works once, within 30 minutes.</p>
<p>Nothing arrived? Check the spam folder, or ask again in a minute.</p>
<p><a href="/login">Back to log in</a></p>`,
    );
  }
  return layout(
    view.frame,
    html`<h1>Forgot your password?</h1>
<p>Enter the email address of your account. We will send a link to choose a new password.</p>
${formNotice(view.error)}
<form method="post" action="/password/forgot" class="stack">
  ${csrfField(view.frame.csrf)}
  ${field({ id: 'email', name: 'email', label: 'Email', type: 'email', autocomplete: 'username', value: view.email ?? '', autofocus: true, error: errorFor(view.error, 'email') })}
  ${submit('Send the link')}
</form>
<p><a href="/login">Back to log in</a></p>`,
  );
}

export interface ResetPasswordView {
  readonly frame: Frame;
  /** Null: the link does not work (used, expired, replaced). */
  readonly token: string | null;
  /** With 2FA on: which codes the form takes. */
  readonly needsCode: CodeShape | null;
  /** "Text me a code" is offered. */
  readonly smsAvailable?: boolean;
  /** A code was just texted. */
  readonly sent?: boolean;
  readonly error?: FormError;
}

export function resetPasswordPage(view: ResetPasswordView): Html {
  if (view.token === null) {
    return layout(
      view.frame,
      html`<h1>Choose a new password</h1>
${notice('error', view.error?.message)}
<p><a href="/password/forgot">Ask for a new link</a></p>`,
    );
  }
  return layout(
    view.frame,
    html`<h1>Choose a new password</h1>
${view.needsCode ? html`<p>Two-factor authentication is on for this account: the link proves you can read its email, and a code from your authenticator app (or a recovery code) proves the rest.</p>` : ''}
${view.sent ? notice('success', 'A code is on its way to your phone. It works once, within 10 minutes.') : ''}
${formNotice(view.error)}
<form method="post" action="/password/reset" class="stack">
  ${csrfField(view.frame.csrf)}
  <input type="hidden" name="token" value="${view.token}">
  ${field({ id: 'new-password', name: 'newPassword', label: 'New password', type: 'password', autocomplete: 'new-password', minlength: 8, autofocus: true, hint: 'At least 8 characters. Every device signed in to this account will be signed out.', error: errorFor(view.error, 'newPassword') })}
  ${view.needsCode ? codeField('reset-code', { shape: view.needsCode, error: errorFor(view.error, 'code') }) : ''}
  ${submit('Set the new password')}
</form>
${
  view.smsAvailable
    ? html`<form method="post" action="/password/reset/send">
  ${csrfField(view.frame.csrf)}
  <input type="hidden" name="token" value="${view.token}">
  ${submit('Text me a code', 'secondary')}
</form>`
    : ''
}`,
  );
}

export function passwordResetDonePage(view: { frame: Frame }): Html {
  return layout(
    view.frame,
    html`<h1>Password changed</h1>
${notice('success', 'Your new password is set. Every device that was signed in to your account has been signed out.')}
<p><a class="button button-primary" href="/login">Log in</a></p>`,
  );
}
