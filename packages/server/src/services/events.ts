/**
 * Domain events and the one sink they go through. Each event is written as an audit row (tamper-evident
 * chain, services/audit-log.ts) in the same transaction as the change it describes, and as one JSON log line
 * with the request id. An event holds ids, kinds and counts: never a secret, code, password, cookie, token or
 * email address (the audit row carries the client's address and user agent, which the log line does not).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { appendAuditRecord } from './audit-log.ts';
import type { FactorPurpose } from './factors/types.ts';
import { currentRequestMeta } from './request-meta.ts';
import type { FactorKind } from './types.ts';

/** Which step of signing in an event is about. */
export type SignInStep = 'password' | 'second_factor';

export type DomainEvent =
  | { readonly type: 'account.created'; readonly userId: string }
  | {
      readonly type: 'sign_in.succeeded';
      readonly userId: string;
      /** 'device': a trusted device stood in for the second step (after the right password). */
      readonly factor: FactorKind | 'none' | 'device';
    }
  | {
      readonly type: 'sign_in.failed';
      /** Null for an unknown email: the log must not tell which addresses have accounts. */
      readonly userId: string | null;
      readonly step: SignInStep;
      readonly factor?: FactorKind;
      readonly attemptsLeft?: number;
    }
  | {
      /** A signed-in change (2FA off, new app, new recovery codes, new password) refused: who asked may
       *  hold a stolen session. */
      readonly type: 'reauthentication.failed';
      readonly userId: string;
      readonly step: SignInStep;
      readonly factor?: FactorKind;
    }
  | { readonly type: 'second_factor.enabled'; readonly userId: string; readonly factor: FactorKind }
  | { readonly type: 'second_factor.disabled'; readonly userId: string; readonly factor: FactorKind }
  | { readonly type: 'second_factor.replaced'; readonly userId: string; readonly factor: FactorKind }
  | {
      readonly type: 'recovery_code.used';
      readonly userId: string;
      /** What the code was used for. */
      readonly purpose: FactorPurpose;
      readonly remaining: number;
    }
  | { readonly type: 'recovery_codes.generated'; readonly userId: string; readonly count: number }
  | { readonly type: 'password.changed'; readonly userId: string }
  /** The password set again with a link sent by email ("forgot password"). */
  | { readonly type: 'password.reset'; readonly userId: string }
  | { readonly type: 'password_reset.requested'; readonly userId: string }
  /** Account recovery: asked from the code page, confirmed by the emailed link (the wait starts), cancelled
   *  (from a signed-in device or the message's link) or completed (the lost factors removed). */
  | { readonly type: 'account_recovery.requested'; readonly userId: string }
  | { readonly type: 'account_recovery.started'; readonly userId: string; readonly hours: number }
  | { readonly type: 'account_recovery.cancelled'; readonly userId: string; readonly by: 'session' | 'link' }
  | { readonly type: 'account_recovery.completed'; readonly userId: string }
  /** A phone number set (or replaced: the old one is gone) and then verified. */
  | { readonly type: 'phone.changed'; readonly userId: string }
  | { readonly type: 'phone.verified'; readonly userId: string }
  /** The account's address replaced (the old one was told directly: notices go to the new one). */
  | { readonly type: 'email.changed'; readonly userId: string }
  /** The owner proved the account's email address is theirs. */
  | { readonly type: 'email.verified'; readonly userId: string; readonly by: 'code' | 'link' }
  | {
      /** An operator removed every second factor of the user (twofa admin reset-2fa). */
      readonly type: 'second_factor.reset';
      readonly userId: string;
      /** The kinds removed, comma-separated. */
      readonly factors: string;
      /** A pending account recovery was cancelled with them. */
      readonly accountRecovery?: 'cancelled';
      readonly by: 'operator';
    }
  | {
      /** An operator lifted the user's guess limits (twofa admin unlock). */
      readonly type: 'account.unlocked';
      readonly userId: string;
      /** The limits that were closed and are now open, comma-separated (may be empty). */
      readonly cleared: string;
      readonly by: 'operator';
    }
  | {
      /** twofa admin rotate-key made `keyId` current; secrets are being re-sealed under it. */
      readonly type: 'master_key.rotation_started';
      readonly keyId: string;
      readonly previousKeyId: string;
      readonly by: 'operator';
    }
  | {
      readonly type: 'master_key.rotation_finished';
      readonly keyId: string;
      /** Secrets re-sealed by this rotation, over every run of it. */
      readonly resealed: number;
      readonly by: 'operator';
    }
  | { readonly type: 'master_key.retired'; readonly keyId: string; readonly by: 'operator' }
  | {
      readonly type: 'lock.started';
      readonly userId: string;
      /** The guess limit that closed: 6-digit codes (the short-term lock, or the long-horizon budget spent),
       *  or recovery codes. `minutes`: until the lock ends, or until the budget has a code again. */
      readonly limit: 'codes' | 'code_budget' | 'recovery_codes';
      readonly minutes: number;
    }
  | {
      /** The owner ticked "Remember this device" after a second step. */
      readonly type: 'device.trusted';
      readonly userId: string;
      readonly deviceId: string;
      /** Browser and system from the user agent. */
      readonly name: string;
    }
  | {
      /** Trusted devices revoked: one (`deviceId`) or all of the user's (`count` of them). */
      readonly type: 'device.revoked';
      readonly userId: string;
      readonly reason: DeviceRevokeReason;
      readonly count: number;
      readonly deviceId?: string;
      readonly name?: string;
    }
  /** The owner ended every session and revoked every device ("Sign out everywhere"). */
  | { readonly type: 'account.signed_out_everywhere'; readonly userId: string }
  | {
      readonly type: 'api_key.created';
      readonly keyId: string;
      readonly tenant: string;
      readonly scopes: string;
    }
  | { readonly type: 'api_key.revoked'; readonly keyId: string; readonly tenant: string };

export type DomainEventType = DomainEvent['type'];

/**
 * Why trusted devices were revoked: by the owner from the security page; a rotated-out token presented
 * again (a copy of the cookie: theft); or with a change that revokes them all.
 */
export type DeviceRevokeReason =
  | 'owner'
  | 'token_reused'
  | 'password_changed'
  | 'password_reset'
  | 'second_factor_reset'
  | 'account_recovery'
  | 'signed_out_everywhere';

export interface EventSink {
  /**
   * Records the event: the audit row on `db` (pass the transaction of the change; outside one, the row gets
   * its own), then the log line.
   */
  record(db: Kysely<Database>, event: DomainEvent): Promise<void>;
}

export function createEventSink(options: {
  readonly nowMs: () => number;
  readonly log: (line: string) => void;
  /** Called after each event is recorded (the notices read the log soon after: services/messages/notices.ts). */
  readonly afterRecord?: (event: DomainEvent) => void;
}): EventSink {
  return {
    async record(db, event) {
      const meta = currentRequestMeta();
      const atMs = options.nowMs();
      const { type, ...fields } = event;
      const userId = 'userId' in fields ? fields.userId : null;
      const details: Record<string, string | number | boolean> = {};
      for (const [name, value] of Object.entries(fields)) {
        if (name !== 'userId' && value !== undefined && value !== null) details[name] = value;
      }
      const record = {
        atMs,
        userId,
        type,
        ip: meta.ip,
        userAgent: meta.userAgent,
        requestId: meta.requestId,
        details,
      };
      if (db.isTransaction) await appendAuditRecord(db, record);
      else await db.transaction().execute((trx) => appendAuditRecord(trx, record));
      options.log(
        JSON.stringify({
          time: new Date(atMs).toISOString(),
          event: type,
          ...(meta.requestId === null ? {} : { requestId: meta.requestId }),
          ...(userId === null ? {} : { userId }),
          ...details,
        }),
      );
      options.afterRecord?.(event);
    },
  };
}
