/** 10^0 .. 10^10: modulus for each allowed number of digits (RFC 4226 s5.3, Digit = 6..10). */
const DIGITS_POWER = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10] as const;

/**
 * RFC 4226 s5.3 dynamic truncation: the low 4 bits of the last byte pick an offset; the 31-bit big-endian
 * value there, modulo 10^digits, is the code as an integer.
 */
export function truncateToNumber(digest: Uint8Array, digits: number): number {
  const offset = digest[digest.length - 1]! & 0x0f;
  const binary =
    ((digest[offset]! & 0x7f) << 24) |
    (digest[offset + 1]! << 16) |
    (digest[offset + 2]! << 8) |
    digest[offset + 3]!;
  return binary % DIGITS_POWER[digits]!;
}

/** The code as text, left-padded with zeros to `digits`. */
export function formatCode(value: number, digits: number): string {
  return value.toString().padStart(digits, '0');
}

/**
 * Parses a user-supplied code for comparison: exactly `digits` ASCII digits, else -1. Checked before any
 * comparison so a wrong length or a non-digit never reaches the compare.
 */
export function parseCode(code: string, digits: number): number {
  if (code.length !== digits) return -1;
  let value = 0;
  for (let i = 0; i < digits; i++) {
    const c = code.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/**
 * Compares two codes held as fixed-width integers below 10^10. Both are plain numbers, so the compare is one
 * operation whose time does not depend on how many leading digits agree (unlike a string compare that stops
 * at the first difference).
 */
export function codesEqual(a: number, b: number): boolean {
  return a - b === 0;
}
