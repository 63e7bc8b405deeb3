/**
 * The small part of RFC 3986 that otpauth:// and otpauth-migration:// URIs need, written out because the
 * WHATWG `URL` class is the wrong tool: its `searchParams` decodes `+` as a space (form encoding), and it
 * treats unknown schemes' paths loosely.
 */
import { OTPError, type OTPErrorCode } from '../errors.ts';

/**
 * Percent-encodes everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`), UTF-8 first.
 * A space becomes `%20`, never `+`. The caller must pass well-formed Unicode (see `String#isWellFormed`).
 * @see https://www.rfc-editor.org/rfc/rfc3986#section-2.1
 */
export function percentEncode(text: string): string {
  // encodeURIComponent also leaves RFC 3986 sub-delims ! ' ( ) * alone; encode them so that no reader
  // can take them for delimiters.
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Decodes `%XX` escapes (UTF-8) and leaves everything else, `+` included, as it is (RFC 3986, not form
 * encoding). `offset` is where `raw` starts in the whole URI, so errors point at the right position.
 */
export function percentDecode(raw: string, code: OTPErrorCode, what: string, offset: number): string {
  let i = raw.indexOf('%');
  if (i === -1) return raw;
  for (; i !== -1; i = raw.indexOf('%', i + 1)) {
    if (!isHex(raw.charCodeAt(i + 1)) || !isHex(raw.charCodeAt(i + 2))) {
      throw new OTPError(
        code,
        `${what} has a malformed percent-encoding at position ${offset + i}: '%' must be followed by two hex digits`,
      );
    }
  }
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new OTPError(code, `${what} has percent-encoded bytes that are not valid UTF-8`);
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** One `name=value` pair of a query: the name decoded and lower-cased, the value still encoded. */
export interface QueryParameter {
  readonly rawValue: string;
  /** Position of `rawValue` in the whole URI. */
  readonly offset: number;
}

/**
 * Splits a query (`a=1&b=2`, without the `?`) into parameters. Names are matched case-insensitively;
 * empty segments (`&&`) are skipped; a name without `=` has an empty value. Values are left encoded so the
 * caller decodes each with its own field name in errors.
 */
export function parseQuery(query: string, offset: number, code: OTPErrorCode): Map<string, QueryParameter[]> {
  const parameters = new Map<string, QueryParameter[]>();
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end === -1) end = query.length;
    if (end > start) {
      const equals = query.indexOf('=', start);
      const nameEnd = equals === -1 || equals > end ? end : equals;
      const name = percentDecode(
        query.slice(start, nameEnd),
        code,
        'a parameter name',
        offset + start,
      ).toLowerCase();
      const valueStart = nameEnd === end ? end : nameEnd + 1;
      const parameter = { rawValue: query.slice(valueStart, end), offset: offset + valueStart };
      const list = parameters.get(name);
      if (list === undefined) parameters.set(name, [parameter]);
      else list.push(parameter);
    }
    start = end + 1;
  }
  return parameters;
}

/**
 * The decoded value of parameter `name`, or `undefined` if absent. A parameter given twice is refused:
 * apps disagree on which one wins, so one of them would use a different key than the user was shown.
 */
export function singleParameter(
  parameters: Map<string, QueryParameter[]>,
  name: string,
  code: OTPErrorCode,
): string | undefined {
  const list = parameters.get(name);
  if (list === undefined) return undefined;
  if (list.length > 1)
    throw new OTPError(code, `${name} parameter appears ${list.length} times; give it once`);
  const parameter = list[0]!;
  return percentDecode(parameter.rawValue, code, `${name} parameter`, parameter.offset);
}

/**
 * Throws `code` if `uri` holds an ASCII control character (never valid in a URI; a trailing newline from a
 * file, or an attempt to forge lines in a terminal or log). Returns `uri` without surrounding whitespace
 * and the offset of its first character.
 */
export function trimURI(uri: unknown, code: OTPErrorCode): { text: string; offset: number } {
  if (typeof uri !== 'string') throw new OTPError(code, 'URI must be a string');
  const text = uri.trim();
  const offset = text.length === 0 ? 0 : uri.indexOf(text[0]!);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      throw new OTPError(
        code,
        `URI has a control character U+${c.toString(16).toUpperCase().padStart(4, '0')} at position ${offset + i}`,
      );
    }
  }
  return { text, offset };
}
