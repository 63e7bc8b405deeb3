/**
 * Recovery codes, shown once: right after two-factor authentication is turned on, or after a new set is made.
 * A download as .txt (a data: link, so the codes never travel again) and a print view; the user confirms they
 * saved them before going on.
 */
import { html } from 'hono/html';
import { type Frame, layout } from './layout.ts';
import { csrfField, type Html, notice, submit } from './parts.ts';

export interface RecoveryCodesView {
  readonly frame: Frame;
  readonly codes: readonly string[];
  /** The account and service the codes are for (written into the download). */
  readonly account: string;
  readonly issuer: string;
  readonly createdAt: Date;
  /** The notice key the security page shows once the user goes on. */
  readonly done: string;
  readonly heading: string;
  readonly intro: string;
}

export function recoveryCodesPage(view: RecoveryCodesView): Html {
  const text = [
    `Recovery codes for ${view.account} at ${view.issuer}`,
    `Made ${view.createdAt.toISOString().slice(0, 10)}. Each code works once.`,
    '',
    ...view.codes,
    '',
    'Keep them somewhere safe, apart from your phone.',
    '',
  ].join('\n');
  const href = `data:text/plain;charset=utf-8,${encodeURIComponent(text)}`;
  return layout(
    view.frame,
    html`<h1>${view.heading}</h1>
${notice('success', view.intro)}
<section aria-labelledby="codes-heading" class="recovery">
  <h2 id="codes-heading">Save your recovery codes</h2>
  <p>If you lose your phone, each of these codes signs you in once instead of a code from the app.
  This is the only time they are shown: save them now, somewhere other than your phone.</p>
  <ol class="recovery-codes" aria-label="Recovery codes">
    ${view.codes.map((code) => html`<li><code>${code}</code></li>`)}
  </ol>
  <p class="actions">
    <a class="button button-secondary" href="${href}" download="${view.issuer}-recovery-codes.txt">Download as .txt</a>
    <button type="button" class="button button-secondary" data-print hidden>Print</button>
  </p>
  <form method="post" action="/security/recovery/saved" class="stack">
    ${csrfField(view.frame.csrf)}
    <input type="hidden" name="done" value="${view.done}">
    <div class="field checkbox">
      <input id="saved" name="saved" type="checkbox" value="yes" required>
      <label for="saved">I have saved my recovery codes</label>
    </div>
    ${submit('Continue')}
  </form>
</section>`,
  );
}
