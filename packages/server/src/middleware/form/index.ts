/**
 * The form a POST carries, read once per request for the CSRF check and the route alike. Every form of the
 * pages is `application/x-www-form-urlencoded`: that body is read as text (@hono/node-server reads it
 * straight from the socket) and parsed with URLSearchParams, the WHATWG urlencoded parser, as undici's
 * `formData()` does. Hono's `parseBody()` builds a web Response around the bytes and asks it for FormData:
 * on the code step that was most of the web Request/Response share of the profile (issue #12).
 * `multipart/form-data` still goes through `parseBody()`. Any other type has no fields (text/plain is a
 * classic CSRF vector).
 */
import type { Context } from 'hono';
import type { AppEnv } from '../../context.ts';

/** Field name to value; a repeated field keeps its last value, as Hono's parseBody does. */
export type FormFields = Readonly<Record<string, string | File>>;

const read = new WeakMap<object, Promise<FormFields>>();

/** The request's form fields (parsed once, then shared). */
export function formFields(c: Context<AppEnv>): Promise<FormFields> {
  let fields = read.get(c.req);
  if (fields === undefined) {
    fields = parse(c);
    read.set(c.req, fields);
  }
  return fields;
}

/** The media type of a form this service reads, or undefined. */
export function formType(contentType: string | undefined): 'urlencoded' | 'multipart' | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return 'urlencoded';
  if (type === 'multipart/form-data') return 'multipart';
  return undefined;
}

async function parse(c: Context<AppEnv>): Promise<FormFields> {
  const type = formType(c.req.header('content-type'));
  if (type === 'multipart') return (await c.req.parseBody()) as FormFields;
  if (type === undefined) return {};
  const fields: Record<string, string> = Object.create(null);
  for (const [name, value] of new URLSearchParams(await c.req.text())) fields[name] = value;
  return fields;
}
