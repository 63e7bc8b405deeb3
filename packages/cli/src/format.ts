/** Small text helpers shared by commands. */

/** `JBSWY3DPEHPK3PXP` -> `JBSW Y3DP EHPK 3PXP`: easier to type into an app by hand. */
export function groupSecret(base32: string): string {
  return base32.replace(/(.{4})(?=.)/g, '$1 ');
}

/** `123456` -> `123 456`, `12345678` -> `1234 5678`, as authenticator apps show codes. */
export function groupCode(code: string): string {
  const half = Math.ceil(code.length / 2);
  return `${code.slice(0, half)} ${code.slice(half)}`;
}

const COLORS = { red: 31, green: 32, yellow: 33, dim: 2 } as const;

export type Color = keyof typeof COLORS;

/** Wraps text in an ANSI colour when `enabled` (see useColor). */
export function paint(text: string, color: Color, enabled: boolean): string {
  return enabled ? `\x1b[${COLORS[color]}m${text}\x1b[0m` : text;
}

/** "Example (alice@example.com)", "alice@example.com", or "" for a bare secret. */
export function describeAccount(key: { issuer?: string; account?: string }): string {
  if (key.issuer && key.account) return `${key.issuer} (${key.account})`;
  return key.issuer ?? key.account ?? '';
}
