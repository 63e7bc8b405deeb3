/** The front page: what the service is for a visitor; the account's state for a signed-in user. */
import { html } from 'hono/html';
import type { FailedSecondSteps } from '../services/types.ts';
import { type Frame, layout } from './layout.ts';
import type { Html } from './parts.ts';
import { failedSecondStepsNotice } from './security-events.ts';

export interface HomeView {
  readonly frame: Frame;
  /** Null for a visitor. */
  readonly account: { readonly email: string; readonly totpEnabled: boolean } | null;
  /** Failed second steps between the previous sign-in and this one (signed in only). */
  readonly failedSecondSteps?: FailedSecondSteps | undefined;
}

export function homePage(view: HomeView): Html {
  const { account } = view;
  const body = account
    ? html`<h1>Your account</h1>
<p>Signed in as <strong>${account.email}</strong>.</p>
${failedSecondStepsNotice(view.failedSecondSteps)}
${
  account.totpEnabled
    ? html`<p class="status status-on">Two-factor authentication is <strong>on</strong>: signing in needs your password and a second factor.</p>`
    : html`<p class="status status-off">Two-factor authentication is <strong>off</strong>. Anyone with your password can sign in.</p>`
}
<p><a class="button button-primary" href="/security">${account.totpEnabled ? 'Security settings' : 'Set up two-factor authentication'}</a></p>`
    : html`<h1>Two-factor sign-in</h1>
<p>Create an account, then protect it with an authenticator app on your phone: after your password, signing in asks for the 6-digit code the app shows.</p>
<p><a class="button button-primary" href="/signup">Create an account</a> <a class="button button-secondary" href="/login">Log in</a></p>`;
  return layout(view.frame, body);
}
