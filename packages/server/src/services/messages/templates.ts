/**
 * The words of every message, plain text plus simple HTML: the service's name, what happened, when, from
 * which device, and what to do if it was not you. No secret besides the one code or link the message exists
 * for (and the notices carry none).
 */

export interface MessageContent {
  /** The service's name (TWOFA_ISSUER) and where people reach it (TWOFA_PUBLIC_URL). */
  readonly service: { readonly name: string; readonly url: string };
  readonly subject: string;
  /** What happened (or what this message is for), one paragraph each. */
  readonly paragraphs: readonly string[];
  /** The one code the message exists for, shown large. */
  readonly code?: string;
  /** The one link the message exists for. */
  readonly link?: { readonly href: string; readonly label: string };
  /** When it happened and from which device (the notices). */
  readonly when?: number;
  readonly device?: { readonly userAgent: string | null; readonly ip: string | null };
  /** What to do if it was not you. */
  readonly ifNotYou: string;
}

export function renderMessage(content: MessageContent): { subject: string; text: string; html: string } {
  const subject = `${content.service.name}: ${content.subject}`;
  const facts: string[] = [];
  if (content.when !== undefined) facts.push(`When: ${new Date(content.when).toUTCString()}`);
  if (content.device !== undefined) facts.push(`Device: ${deviceText(content.device)}`);
  const text = [
    ...content.paragraphs,
    ...(content.code === undefined ? [] : [`Your code: ${content.code}`]),
    ...(content.link === undefined ? [] : [`${content.link.label}:\n${content.link.href}`]),
    ...(facts.length === 0 ? [] : [facts.join('\n')]),
    content.ifNotYou,
    `-- ${content.service.name}, ${content.service.url}`,
  ].join('\n\n');
  const html = `<!doctype html>
<html lang="en"><body style="font-family:sans-serif;line-height:1.5;max-width:36em">
${content.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${content.code === undefined ? '' : `<p>Your code: <strong style="font-size:1.5em;letter-spacing:0.1em">${escapeHtml(content.code)}</strong></p>`}
${content.link === undefined ? '' : `<p><a href="${escapeHtml(content.link.href)}">${escapeHtml(content.link.label)}</a></p>`}
${facts.length === 0 ? '' : `<p>${facts.map(escapeHtml).join('<br>')}</p>`}
<p>${escapeHtml(content.ifNotYou)}</p>
<p style="color:#555">${escapeHtml(content.service.name)}, <a href="${escapeHtml(content.service.url)}">${escapeHtml(content.service.url)}</a></p>
</body></html>`;
  return { subject, text, html };
}

function deviceText(device: { readonly userAgent: string | null; readonly ip: string | null }): string {
  const agent = device.userAgent ?? 'unknown browser or program';
  return device.ip === null ? agent : `${agent} (address ${device.ip})`;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
