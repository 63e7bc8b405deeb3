/**
 * The request a service call is serving (client address, user agent, request id), for the audit log. The
 * front ends (pages, later the JSON API) wrap each request in `runWithRequestMeta`; the event sink reads it.
 * Nothing of HTTP reaches the services but these three strings.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestMeta } from './types.ts';

const storage = new AsyncLocalStorage<RequestMeta>();

/** No request: a command-line tool, a test calling a service directly. */
const NO_REQUEST: RequestMeta = { ip: null, userAgent: null, requestId: null };

/** The user agent is free text from the client: cut it to a size the log and the page can carry. */
const MAX_USER_AGENT_CHARS = 256;

export function runWithRequestMeta<T>(meta: RequestMeta, fn: () => Promise<T>): Promise<T> {
  const userAgent = meta.userAgent === null ? null : meta.userAgent.slice(0, MAX_USER_AGENT_CHARS);
  return storage.run({ ...meta, userAgent }, fn);
}

export function currentRequestMeta(): RequestMeta {
  return storage.getStore() ?? NO_REQUEST;
}
