/**
 * Small building blocks shared by the pages. Every interpolation goes through hono/html's `html`, which
 * escapes it; `raw` is used only for markup this service generated itself (the QR code's SVG).
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { CodeShape } from '../services/types.ts';

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
  /**
   * What is wrong with the value: shown under the label, tied to the input with aria-describedby, the input
   * marked aria-invalid and focused (the first field in error on a page gets the focus).
   */
  readonly error?: string | undefined;
}

/** A labelled input; a hint and an error are tied to it with aria-describedby. */
export function field(o: FieldOptions): Html {
  const hintId = `${o.id}-hint`;
  const errorId = `${o.id}-error`;
  const describedBy = [o.hint ? hintId : '', o.error ? errorId : ''].filter(Boolean).join(' ');
  return html`<div class="field${o.error ? ' field-invalid' : ''}">
  <label for="${o.id}">${o.label}</label>
  ${o.hint ? html`<p class="hint" id="${hintId}">${o.hint}</p>` : ''}
  ${o.error ? html`<p class="field-error" id="${errorId}" role="alert">${o.error}</p>` : ''}
  <input id="${o.id}" name="${o.name}" type="${o.type}" autocomplete="${o.autocomplete}" required${
    o.value !== undefined ? html` value="${o.value}"` : ''
  }${o.minlength !== undefined ? html` minlength="${o.minlength}"` : ''}${
    o.numeric ? html` inputmode="numeric" spellcheck="false" autocapitalize="off"` : ''
  }${describedBy ? html` aria-describedby="${describedBy}"` : ''}${o.error ? html` aria-invalid="true"` : ''}${
    o.autofocus || o.error ? html` autofocus` : ''
  }>
</div>`;
}

/**
 * A refused form's error: the message, and the field it is about when there is one (by the name the form
 * posts it under). A message without a field shows above the form.
 */
export interface FormError {
  readonly message: string;
  readonly field?: string | undefined;
}

/** The message for field `name` of a refused form, if the error is about that field. */
export function errorFor(error: FormError | undefined, name: string): string | undefined {
  return error?.field === name ? error.message : undefined;
}

/** The message to show above a refused form: one not tied to a field. */
export function formNotice(error: FormError | undefined): Html | '' {
  return error !== undefined && error.field === undefined ? notice('error', error.message) : '';
}

/** A code field's words by what it takes. */
const CODE_FIELDS: Record<CodeShape, { label: string; hint: string }> = {
  totp: { label: 'Code from your authenticator app', hint: 'The 6 digits the app shows now.' },
  'totp-or-recovery': {
    label: 'Code from your authenticator app, or a recovery code',
    hint: 'The 6 digits the app shows now, or one of your saved recovery codes.',
  },
  message: { label: 'Code from the message', hint: 'The 6 digits in the latest message we sent you.' },
  'message-or-recovery': {
    label: 'Code from the message, or a recovery code',
    hint: 'The 6 digits in the latest message we sent you, or one of your saved recovery codes.',
  },
  recovery: { label: 'Recovery code', hint: 'One of your saved recovery codes.' },
  token: { label: 'Code from your hardware token', hint: 'Press the button: the 6 digits it shows.' },
  'token-or-recovery': {
    label: 'Code from your hardware token, or a recovery code',
    hint: 'Press the button for the 6 digits it shows, or use one of your saved recovery codes.',
  },
};

/** The code input used by every form that takes one (by default from the app). */
export function codeField(
  id: string,
  options: { autofocus?: boolean; error?: string | undefined; recovery?: boolean; shape?: CodeShape } = {},
): Html {
  const shape = options.shape ?? (options.recovery ? 'totp-or-recovery' : 'totp');
  return field({
    id,
    name: 'code',
    label: CODE_FIELDS[shape].label,
    type: 'text',
    autocomplete: 'one-time-code',
    numeric: shape === 'totp' || shape === 'message' || shape === 'token',
    autofocus: options.autofocus ?? false,
    error: options.error,
    hint: CODE_FIELDS[shape].hint,
  });
}

export function submit(label: string, kind: 'primary' | 'secondary' | 'danger' = 'primary'): Html {
  return html`<button type="submit" class="button button-${kind}">${label}</button>`;
}
