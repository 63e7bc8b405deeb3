/**
 * Request metadata for the audit log: the client's address, its user agent and the request id, handed to the
 * services for the rest of the request (services.withRequest).
 *
 * Threat: a forged address in the audit log and in the per-client budget. `X-Forwarded-For` is anyone's to
 * write, so it is read only when the socket's peer is a trusted proxy (TWOFA_TRUSTED_PROXIES), and then from
 * the right, past the trusted proxies: the first untrusted address is the client (see client-address.ts).
 * Otherwise the socket's address.
 */
import type { MiddlewareHandler } from 'hono';
import { clientAddress, type TrustedProxies } from '../../client-address.ts';
import type { AppEnv } from '../../context.ts';
import type { RequestMeta } from '../../services/types.ts';

export interface RequestMetaOptions {
  /** The proxies whose X-Forwarded-For is believed. */
  readonly trustedProxies: TrustedProxies;
  readonly withRequest: <T>(meta: RequestMeta, fn: () => Promise<T>) => Promise<T>;
}

/** The longest address kept (an IPv6 address with a zone is under 64 characters). */
const MAX_ADDRESS_CHARS = 64;

export function requestMeta(options: RequestMetaOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const ip =
      clientAddress(socketAddress(c.env), c.req.header('x-forwarded-for'), options.trustedProxies) ?? null;
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
