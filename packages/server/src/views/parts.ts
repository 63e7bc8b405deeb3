/**
 * Small building blocks shared by the pages. Every interpolation goes through hono/html's `html`, which
 * escapes it; `raw` is used only for markup this service generated itself (the QR code's SVG).
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export type NoticeKind = 'error' | 'success' | 'info';

/** A message above a form; errors are announced to screen readers as alerts. */
export function notice(kind: NoticeKind, message: string | undefined): Html | '' {
  if (!message) return '';
  return kind === 'error'
    ? html`<p class="notice notice-error" role="alert">${message}</p>`
    : html`<p class="notice notice-${kind}" role="status">${message}</p>`;
}

export function csrfField(token: string): Html {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}

export interface FieldOptions {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly type: 'email' | 'password' | 'text';
  readonly autocomplete: string;
  readonly value?: string;
  readonly hint?: string;
  readonly minlength?: number;
  /** Numeric keypad on phones (one-time codes). */
  readonly numeric?: boolean;
  readonly autofocus?: boolean;
}

/** A labelled input; a hint is tied to it with aria-describedby. */
export function field(o: FieldOptions): Html {
  const hintId = `${o.id}-hint`;
  return html`<div class="field">
  <label for="${o.id}">${o.label}</label>
  ${o.hint ? html`<p class="hint" id="${hintId}">${o.hint}</p>` : ''}
  <input id="${o.id}" name="${o.name}" type="${o.type}" autocomplete="${o.autocomplete}" required${
    o.value !== undefined ? html` value="${o.value}"` : ''
  }${o.minlength !== undefined ? html` minlength="${o.minlength}"` : ''}${
    o.numeric ? html` inputmode="numeric" spellcheck="false" autocapitalize="off"` : ''
  }${o.hint ? html` aria-describedby="${hintId}"` : ''}${o.autofocus ? html` autofocus` : ''}>
</div>`;
}

/** The six-digit code input used by every form that takes one. */
export function codeField(id: string, autofocus = false): Html {
  return field({
    id,
    name: 'code',
    label: 'Code from your authenticator app',
    type: 'text',
    autocomplete: 'one-time-code',
    numeric: true,
    autofocus,
    hint: 'The 6 digits the app shows now.',
  });
}

export function submit(label: string, kind: 'primary' | 'secondary' | 'danger' = 'primary'): Html {
  return html`<button type="submit" class="button button-${kind}">${label}</button>`;
}
