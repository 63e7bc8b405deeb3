/**
 * What every part of the HTTP layer shares: the dependencies `createApp` was given and the per-request
 * variables the middleware set on the Hono context.
 */
import type { Config } from './config.ts';
import type { Services, SessionView } from './services/types.ts';

export interface AppDeps {
  readonly config: Config;
  readonly services: Services;
  /** One JSON line per call. Never given a password, code, secret, cookie, token or session id. */
  readonly log: (line: string) => void;
  readonly nowMs: () => number;
}

export type AppVariables = {
  /** Random per request; in the request log, the X-Request-Id header and error pages. */
  requestId: string;
  /** The live session behind the cookie, or null. */
  session: SessionView | null;
  /** The raw cookie token of that live session (only for CSRF binding, logout and rotation). */
  sessionToken: string | undefined;
  /** The request carried a session cookie that names no live session (expired, revoked or forged). */
  sessionEnded: boolean;
  /** The pre-session cookie value that binds anonymous forms, once read or created in this request. */
  preSessionToken: string | undefined;
};

export type AppEnv = { Variables: AppVariables };
