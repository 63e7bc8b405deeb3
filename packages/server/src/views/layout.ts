/** The page frame: head, header with navigation, main. No inline script or style anywhere (see the CSP). */
import { html } from 'hono/html';
import { csrfField, type Html } from './parts.ts';

/** What the header shows: links for visitors, a cancel button mid-login, the account for a signed-in user. */
export type Nav =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'pending' }
  /** The email is left out on error pages, which do not read the database. */
  | { readonly kind: 'signed-in'; readonly email?: string };

export interface Frame {
  readonly title: string;
  readonly nav: Nav;
  /** Token for the header's logout form (and every other form on the page). */
  readonly csrf: string;
  /** Extra script files under /static/, loaded with defer. */
  readonly scripts?: readonly string[];
}

export function layout(frame: Frame, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · twofa</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">
${(frame.scripts ?? []).map((src) => html`<script src="/static/${src}" defer></script>`)}
</head>
<body>
<header class="site-header">
  <a class="brand" href="/">twofa</a>
  <nav aria-label="Account">${navigation(frame)}</nav>
</header>
<main id="main">
${body}
</main>
</body>
</html>`;
}

function navigation(frame: Frame): Html {
  switch (frame.nav.kind) {
    case 'anonymous':
      return html`<a href="/login">Log in</a> <a href="/signup">Sign up</a>`;
    case 'pending':
      return html`<form method="post" action="/logout" class="inline">${csrfField(frame.csrf)}<button type="submit" class="link">Cancel sign-in</button></form>`;
    case 'signed-in':
      return html`${frame.nav.email ? html`<span class="who">${frame.nav.email}</span> ` : ''}<a href="/security">Security</a>
<form method="post" action="/logout" class="inline">${csrfField(frame.csrf)}<button type="submit" class="link">Log out</button></form>`;
  }
}
