/**
 * Request metadata for the audit log: the client's address, its user agent and the request id, handed to the
 * services for the rest of the request (services.withRequest).
 *
 * Threat: a forged address in the audit log. `X-Forwarded-For` is anyone's to write, so it is read only when
 * a trusted proxy is configured (TWOFA_BEHIND_TLS_PROXY=1), and then only its last entry: the address the
 * proxy itself saw, appended by it (earlier entries came from the client). Otherwise the socket's address.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../context.ts';
import type { RequestMeta } from '../../services/types.ts';

export interface RequestMetaOptions {
  readonly trustProxy: boolean;
  readonly withRequest: <T>(meta: RequestMeta, fn: () => Promise<T>) => Promise<T>;
}

/** The longest address kept (an IPv6 address with a zone is under 64 characters). */
const MAX_ADDRESS_CHARS = 64;

export function requestMeta(options: RequestMetaOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const forwarded = options.trustProxy ? c.req.header('x-forwarded-for') : undefined;
    const fromProxy = forwarded?.split(',').at(-1)?.trim();
    const ip = (fromProxy || socketAddress(c.env)) ?? null;
    const meta: RequestMeta = {
      ip: ip === null ? null : ip.slice(0, MAX_ADDRESS_CHARS),
      userAgent: c.req.header('user-agent') ?? null,
      requestId: c.get('requestId') ?? null,
    };
    await options.withRequest(meta, () => next());
  };
}

/** The peer address @hono/node-server exposes on the incoming request; undefined in-process (tests). */
function socketAddress(env: unknown): string | undefined {
  const bindings = env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return bindings?.incoming?.socket?.remoteAddress;
}
