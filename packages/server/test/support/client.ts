/**
 * A small browser stand-in for in-process tests: a cookie jar, the Origin header a browser sends, and the
 * CSRF token of the last page it loaded (a person submits the form that is on their screen).
 */
import { parseKeyURI } from '@twofa/otp';
import type { Hono } from 'hono';
import type { AppEnv } from '../../src/context.ts';

export interface Page {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** The Location header of a redirect, else null. */
  readonly location: string | null;
  /** The raw Set-Cookie lines of this response. */
  readonly setCookies: string[];
}

export interface PostOptions {
  /** The Origin header; null sends none. @default the browser's origin */
  readonly origin?: string | null;
  readonly secFetchSite?: string;
  /** The CSRF token; null sends none. @default the token of the last page loaded */
  readonly csrf?: string | null;
  readonly contentType?: string;
  /** A raw body instead of the urlencoded fields. */
  readonly rawBody?: string;
  /** More headers (X-Forwarded-For, ...). */
  readonly headers?: Record<string, string>;
}

export class Browser {
  readonly jar = new Map<string, string>();
  /** The CSRF token found in the last HTML page loaded. */
  csrf: string | undefined;
  /** Sent with every request (a User-Agent, say). */
  readonly headers: Record<string, string> = {};
  readonly #app: Hono<AppEnv>;
  readonly origin: string;
  /** The socket's peer address the app sees (as @hono/node-server hands it); none in-process by default. */
  peer: string | undefined;

  constructor(app: Hono<AppEnv>, origin: string) {
    this.#app = app;
    this.origin = origin;
  }

  /** The value of a cookie in the jar (by full name, prefix included). */
  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.#send(path, { method: 'GET', headers });
  }

  /** GET, then follow redirects (GET each Location) until a page answers. */
  async open(path: string): Promise<Page> {
    let page = await this.get(path);
    for (let hops = 0; page.location !== null && hops < 5; hops++) page = await this.get(page.location);
    return page;
  }

  async post(path: string, fields: Record<string, string> = {}, options: PostOptions = {}): Promise<Page> {
    const headers: Record<string, string> = {
      'Content-Type': options.contentType ?? 'application/x-www-form-urlencoded',
      ...(options.headers ?? {}),
    };
    const origin = options.origin === undefined ? this.origin : options.origin;
    if (origin !== null) headers.Origin = origin;
    if (options.secFetchSite !== undefined) headers['Sec-Fetch-Site'] = options.secFetchSite;
    const csrf = options.csrf === undefined ? this.csrf : options.csrf;
    const form = new URLSearchParams(fields);
    if (csrf !== null && csrf !== undefined) form.set('csrf', csrf);
    return this.#send(path, { method: 'POST', headers, body: options.rawBody ?? form.toString() });
  }

  async #send(path: string, init: { method: string; headers: Record<string, string>; body?: string }) {
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers = new Headers({ ...this.headers, ...init.headers });
    if (cookie) headers.set('Cookie', cookie);
    const env = this.peer === undefined ? undefined : { incoming: { socket: { remoteAddress: this.peer } } };
    const response = await this.#app.request(path, { ...init, headers }, env);
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) this.#store(line);
    const body = await response.text();
    const token = /name="csrf" value="([^"]*)"/.exec(body)?.[1];
    if (token !== undefined) this.csrf = token;
    return {
      status: response.status,
      headers: response.headers,
      body,
      location: response.headers.get('location'),
      setCookies,
    };
  }

  #store(line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const expired = attributes.some((a) => /^max-age=0$/i.test(a)) || value === '';
    if (expired) this.jar.delete(name);
    else this.jar.set(name, value);
  }
}

/** Parses Set-Cookie lines into name -> attributes (lower-cased attribute names; flags map to true). */
export function parseSetCookies(
  lines: string[],
): Map<string, { value: string; attributes: Map<string, string | true> }> {
  const out = new Map<string, { value: string; attributes: Map<string, string | true> }>();
  for (const line of lines) {
    const [pair = '', ...rest] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    const attributes = new Map<string, string | true>();
    for (const attribute of rest) {
      const i = attribute.indexOf('=');
      if (i < 0) attributes.set(attribute.toLowerCase(), true);
      else attributes.set(attribute.slice(0, i).toLowerCase(), attribute.slice(i + 1));
    }
    out.set(pair.slice(0, eq), { value: pair.slice(eq + 1), attributes });
  }
  return out;
}

/** Undoes the HTML escaping of an attribute value (the otpauth:// link's href). */
export function unescapeHtml(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** The otpauth:// link on a set-up page, parsed: what a phone would scan. */
export function keyFromPage(body: string): ReturnType<typeof parseKeyURI> {
  const href = /href="(otpauth:\/\/[^"]+)"/.exec(body)?.[1];
  if (href === undefined) throw new Error('no otpauth:// link on the page');
  return parseKeyURI(unescapeHtml(href));
}
