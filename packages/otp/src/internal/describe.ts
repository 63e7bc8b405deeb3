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
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (value === null) return 'null';
      return Array.isArray(value) ? 'an array' : 'an object';
  }
}
