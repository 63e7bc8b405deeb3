/**
 * A short, safe description of any value for an error message: numbers and booleans as written, strings
 * quoted and cut at 20 characters, everything else by its kind. Never calls `String()` on an object, which
 * throws a `TypeError` for `Object.create(null)` and runs arbitrary `toString` code.
 */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}...` : value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    default:
      return describeKind(value);
  }
}

/**
 * What kind of value this is, never the value itself: for fields that may hold a one-time code or a secret,
 * whose value must not reach an error message (or the log it ends up in).
 */
export function describeKind(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? 'an array' : 'an object';
    default:
      return `a ${typeof value}`;
  }
}
