/** A page for what went wrong outside a form: not found, a refused request, a server fault. */
import { html } from 'hono/html';
import { type Frame, layout } from './layout.ts';
import type { Html } from './parts.ts';

export interface ErrorView {
  readonly frame: Frame;
  readonly heading: string;
  readonly message: string;
  /** Shown so a user can quote it; it names a log line, nothing else. */
  readonly requestId?: string;
  /** Where to go from here. @default the front page */
  readonly next?: { readonly href: string; readonly label: string };
}

export function errorPage(view: ErrorView): Html {
  return layout(
    view.frame,
    html`<h1>${view.heading}</h1>
<p>${view.message}</p>
${view.requestId ? html`<p class="hint">Request id: <code>${view.requestId}</code></p>` : ''}
<p><a href="${view.next?.href ?? '/'}">${view.next?.label ?? 'Back to the start'}</a></p>`,
  );
}
