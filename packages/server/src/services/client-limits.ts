/**
 * The per-client request budget: form posts that guess (passwords, codes) or send (codes, reset and recovery
 * messages), per client address, an IPv6 client by its /64.
 *
 * Threat: one client spraying passwords across many accounts (each email's own limit never triggers), or
 * flooding the code and message routes. Counted in the database, in login_throttle under `client:<address>`
 * with one upsert per request (like an API key's budget), so N instances share one budget instead of
 * granting N of them; a refusal costs a second statement (the window's start, for Retry-After).
 */
import { clientGroup } from '../client-address.ts';
import { findLoginWindowStart, reserveLoginAttempt } from '../store/throttle-repo.ts';
import type { ServiceContext } from './context.ts';
import { CLIENT_BUDGET_WINDOW_MS } from './limits.ts';
import { currentRequestMeta } from './request-meta.ts';
import { type ClientLimitService, ServiceError } from './types.ts';

/** The budget's key in login_throttle (which holds fixed windows keyed by any string). */
export function clientBudgetKey(group: string): string {
  return `client:${group}`;
}

export function createClientLimitService(ctx: ServiceContext, requestsPerMinute: number): ClientLimitService {
  return {
    async spend() {
      if (requestsPerMinute <= 0) return;
      // No address: not a request from a socket (an in-process call); nothing to count it under.
      const group = clientGroup(currentRequestMeta().ip);
      if (group === undefined) return;
      const key = clientBudgetKey(group);
      const nowMs = ctx.nowMs();
      const used = await reserveLoginAttempt(ctx.db, {
        emailKey: key,
        nowMs,
        maxFailures: requestsPerMinute,
        windowMs: CLIENT_BUDGET_WINDOW_MS,
      });
      if (used !== undefined) return;
      const startMs = (await findLoginWindowStart(ctx.db, key)) ?? nowMs;
      // Not the address: the log line ties the refusal to the request id, which the request log has.
      ctx.log('client.rate_limited');
      throw new ServiceError('CLIENT_RATE_LIMITED', {
        retryAfterMs: Math.max(1000, startMs + CLIENT_BUDGET_WINDOW_MS - nowMs),
      });
    },
  };
}
