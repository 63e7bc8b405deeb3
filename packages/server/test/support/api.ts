/**
 * The JSON API in-process: a test app with API keys, and a small caller that sends JSON with a bearer key
 * and reads the JSON back.
 */
import { generateTOTP } from '@twofa/otp';
import type { ApiScope } from '../../src/services/types.ts';
import { makeTestApp, type TestApp, type TestAppOptions } from './app.ts';
import { type ContractChecker, contractChecker } from './openapi.ts';

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body (undefined for an empty one). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field (the contract check types them).
  readonly json: any;
  readonly text: string;
}

export interface CallOptions {
  /** The bearer token; null sends no Authorization header. */
  readonly key?: string | null;
  /** A JSON value (serialised), or a raw string with `raw: true`. */
  readonly body?: unknown;
  readonly raw?: boolean;
  readonly headers?: Record<string, string>;
}

export interface ApiTestApp extends TestApp {
  /** A key with every scope in tenant `acme`. */
  readonly key: string;
  /** Makes another key. */
  makeKey(options?: { tenant?: string; scopes?: ApiScope[]; requestsPerMinute?: number }): Promise<string>;
  /** Sends a request; every /api/v1 response is checked against the served OpenAPI document. */
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  readonly contract: ContractChecker;
}

export async function makeApiTestApp(options: TestAppOptions = {}): Promise<ApiTestApp> {
  const t = await makeTestApp(options);
  let counter = 0;
  const makeKey: ApiTestApp['makeKey'] = async (o = {}) => {
    const { token } = await t.services.apiKeys.create({
      name: `test key ${++counter}`,
      tenant: o.tenant ?? 'acme',
      scopes: o.scopes ?? ['enroll', 'verify', 'manage'],
      ...(o.requestsPerMinute === undefined ? {} : { requestsPerMinute: o.requestsPerMinute }),
    });
    return token;
  };
  const key = await makeKey();
  const doc = await (await t.app.request('/api/openapi.json')).json();
  const contract = contractChecker(doc);
  const call: ApiTestApp['call'] = async (method, path, o = {}) => {
    const headers = new Headers(o.headers ?? {});
    const token = o.key === undefined ? key : o.key;
    if (token !== null) headers.set('Authorization', `Bearer ${token}`);
    let body: string | undefined;
    if (o.body !== undefined) {
      body = o.raw ? String(o.body) : JSON.stringify(o.body);
      if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    }
    const response = await t.app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    contract.check(method, path, response.status, json);
    return { status: response.status, headers: response.headers, json, text };
  };
  return { ...t, key, makeKey, call, contract };
}

/** The secret of an otpauth:// URI. */
export function secretOfUri(uri: string): Uint8Array {
  const base32 = new URL(uri).searchParams.get('secret')!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of base32) {
    value = (value << 5) | alphabet.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 255);
    }
  }
  return new Uint8Array(out);
}

/** Enrolls `subject` with TOTP through the API (the confirming code's step is then used); moves the clock to
 *  the next step. Returns the secret and the recovery codes. */
export async function enrollSubject(
  t: ApiTestApp,
  subject: string,
  key = t.key,
): Promise<{ secret: Uint8Array; recoveryCodes: string[] }> {
  const started = await t.call('POST', `/api/v1/subjects/${encodeURIComponent(subject)}/enrollments/totp`, {
    key,
    body: {},
  });
  if (started.status !== 201) throw new Error(`enrollment: ${started.status} ${started.text}`);
  const secret = secretOfUri(started.json.otpauthUri);
  const confirmed = await t.call(
    'POST',
    `/api/v1/subjects/${encodeURIComponent(subject)}/enrollments/${started.json.enrollmentId}/confirm`,
    { key, body: { code: generateTOTP({ secret, nowMs: t.clock.now() }) } },
  );
  if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.status} ${confirmed.text}`);
  t.clock.advance(30_000);
  return { secret, recoveryCodes: confirmed.json.recoveryCodes };
}
