/** The user's own security history, read from the audit log. */
import { listEventSeqsOfUser, summarizeEventsBetween } from '../store/audit-repo.ts';
import { listUserAuditEvents } from './audit-log.ts';
import type { ServiceContext } from './context.ts';
import { RECENT_EVENTS_SHOWN } from './limits.ts';
import type { AuditService, FailedSecondSteps } from './types.ts';

export function createAuditService(ctx: ServiceContext): AuditService {
  return {
    recentEvents: (userId) => listUserAuditEvents(ctx.db, userId, RECENT_EVENTS_SHOWN),

    async failedSecondSteps(userId): Promise<FailedSecondSteps | undefined> {
      // Every full sign-in records sign_in.succeeded, whatever let it through (a code, a recovery code, a
      // trusted device, no second factor): the two latest bound the time since the previous sign-in.
      const [latest, previous] = await listEventSeqsOfUser(ctx.db, {
        userId,
        type: 'sign_in.succeeded',
        limit: 2,
      });
      if (latest === undefined || previous === undefined) return undefined;
      let count = 0;
      let last: FailedSecondSteps['last'];
      // Wrong codes at the sign-in's second step, and at a change's (from a stolen session).
      for (const type of ['sign_in.failed', 'reauthentication.failed']) {
        const found = await summarizeEventsBetween(ctx.db, {
          userId,
          type,
          detailsContain: '"step":"second_factor"',
          afterSeq: previous,
          beforeSeq: latest,
        });
        count += found.count;
        const row = found.latest;
        if (row !== undefined && (last === undefined || row.at_ms >= last.atMs)) {
          last = { atMs: row.at_ms, ip: row.ip, userAgent: row.user_agent };
        }
      }
      return last === undefined ? { count } : { count, last };
    },
  };
}
