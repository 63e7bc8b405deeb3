/** The user's own security history, read from the audit log. */
import { listUserAuditEvents } from './audit-log.ts';
import type { ServiceContext } from './context.ts';
import { RECENT_EVENTS_SHOWN } from './limits.ts';
import type { AuditService } from './types.ts';

export function createAuditService(ctx: ServiceContext): AuditService {
  return {
    recentEvents: (userId) => listUserAuditEvents(ctx.db, userId, RECENT_EVENTS_SHOWN),
  };
}
