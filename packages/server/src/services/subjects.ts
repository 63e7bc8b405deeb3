/**
 * The JSON API's rules: a calling app's own users ("subjects", opaque ids within the API key's tenant) and
 * their factors. A subject is a principal in `users` (the row every factor table keys on) mapped from
 * (tenant, external id) by `api_subjects`; it has no email and no password, and no sign-in page reaches it.
 * Everything else is the pages' machinery: the factor seam (services/factors), the replay compare-and-set,
 * the guess limits (services/throttle.ts) and the audit sink.
 *
 * Threat: one tenant reaching another's subjects. Every call resolves the subject through the caller's
 * tenant, so another tenant's ids do not exist here (404, the same as an id never used).
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  deleteApiEnrollment,
  deleteStaleApiEnrollments,
  findApiEnrollmentByIdempotencyKey,
  findSubjectUserId,
  insertApiEnrollment,
  insertSubject,
} from '../store/api-subjects-repo.ts';
import { isUniqueViolation } from '../store/errors.ts';
import { countUnusedRecoveryCodes, deleteRecoveryCodesOfUser } from '../store/recovery-codes-repo.ts';
import type { ApiEnrollmentRow } from '../store/schema.ts';
import { findCredential } from '../store/totp-credentials-repo.ts';
import { listUserAuditEvents } from './audit-log.ts';
import type { ServiceContext } from './context.ts';
import { attemptFactor, refuseWhileLimited } from './factors/attempt.ts';
import { enrolledFactors, factorOf, factorsAccepting, hasPrimaryFactor } from './factors/index.ts';
import { normalizeCode, openCredentialSecret, totpFactor } from './factors/totp.ts';
import { API_EVENTS_LISTED, MAX_KEY_URI_CHARS } from './limits.ts';
import { issueRecoveryCodes } from './recovery-codes.ts';
import {
  activatePendingTotp,
  createPendingTotp,
  enrollmentView,
  findLivePending,
  removeTotp,
  SECRET_BYTES,
} from './totp.ts';
import {
  type ApiCaller,
  type ApiFactorKind,
  type FactorKind,
  ServiceError,
  type SubjectEnrollmentView,
  type SubjectFactorView,
  type SubjectService,
} from './types.ts';

/** A subject id: what apps use as user ids (numbers, UUIDs, emails), safe in a URL path segment. */
export const SUBJECT_ID_SHAPE = /^[A-Za-z0-9._~:@+=-]{1,128}$/;
/** A label an authenticator app shows (account or issuer): no ':' (it separates them in the URI). */
export const LABEL_SHAPE = /^[^:\p{Cc}]{1,128}$/u;
/** Idempotency-Key values: printable ASCII, as the IETF draft's examples (UUIDs and the like). */
export const IDEMPOTENCY_KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/** The API's kinds among a subject's factors (a subject has no address, so never a code by message). */
async function apiFactors(ctx: ServiceContext, userId: string): Promise<ApiFactorKind[]> {
  return (await enrolledFactors(ctx.db, userId)).filter(
    (kind: FactorKind): kind is ApiFactorKind => kind === 'totp' || kind === 'recovery',
  );
}

export function createSubjectService(ctx: ServiceContext): SubjectService {
  /** The subject's principal, or SUBJECT_NOT_FOUND (for a malformed id too: it cannot exist). */
  async function requireSubject(caller: ApiCaller, subject: string): Promise<string> {
    const userId = SUBJECT_ID_SHAPE.test(subject)
      ? await findSubjectUserId(ctx.db, { tenant: caller.tenant, externalId: subject })
      : undefined;
    if (userId === undefined) throw new ServiceError('SUBJECT_NOT_FOUND', { field: 'subject' });
    return userId;
  }

  /** The subject's principal, made on first use (two first uses at once: one insert wins, both read it). */
  async function ensureSubject(caller: ApiCaller, subject: string): Promise<string> {
    if (!SUBJECT_ID_SHAPE.test(subject)) throw new ServiceError('INVALID_REQUEST', { field: 'subject' });
    const key = { tenant: caller.tenant, externalId: subject };
    const found = await findSubjectUserId(ctx.db, key);
    if (found !== undefined) return found;
    const userId = randomUUID();
    try {
      await ctx.db.transaction().execute((trx) => insertSubject(trx, { userId, ...key, nowMs: ctx.nowMs() }));
      ctx.log('api.subject_created', { userId, tenant: caller.tenant });
      return userId;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const raced = await findSubjectUserId(ctx.db, key);
      if (raced === undefined) throw error;
      return raced;
    }
  }

  /**
   * The set-up an earlier request with this Idempotency-Key made, again; undefined when it has expired or
   * was replaced (its row is then dropped, and the key starts a new one). Refused for another request or a
   * confirmed set-up.
   */
  async function replay(
    row: ApiEnrollmentRow,
    requestHash: string,
  ): Promise<SubjectEnrollmentView | undefined> {
    if (row.request_hash !== requestHash) {
      throw new ServiceError('IDEMPOTENCY_KEY_REUSED', { field: 'Idempotency-Key' });
    }
    const pending = await findLivePending(ctx, row.user_id);
    if (pending === undefined || pending.id !== row.id) {
      const active = await findCredential(ctx.db, row.user_id, 'active');
      if (active?.id === row.id) throw new ServiceError('ENROLLMENT_CLOSED', { field: 'Idempotency-Key' });
      await deleteApiEnrollment(ctx.db, row.id);
      return undefined;
    }
    const secret = await openCredentialSecret(ctx, ctx.db, pending);
    const view = enrollmentView(
      { secret, createdAtMs: pending.created_at_ms },
      { account: row.account_name, issuer: row.issuer },
    );
    return { enrollmentId: row.id, uri: view.uri, expiresAtMs: view.expiresAtMs, replayed: true };
  }

  return {
    async beginEnrollment({
      caller,
      subject,
      accountName = subject,
      issuer = ctx.settings.issuer,
      idempotencyKey,
    }) {
      if (!LABEL_SHAPE.test(accountName) || !accountName.isWellFormed()) {
        throw new ServiceError('INVALID_REQUEST', { field: 'accountName' });
      }
      if (!LABEL_SHAPE.test(issuer) || !issuer.isWellFormed()) {
        throw new ServiceError('INVALID_REQUEST', { field: 'issuer' });
      }
      // Labels of 128 characters may not fit in a QR code once percent-encoded (12 characters for a 4-byte
      // one, and the issuer is in the URI twice): refused before anything is stored, naming the longer one.
      const probe = enrollmentView(
        { secret: new Uint8Array(SECRET_BYTES), createdAtMs: 0 },
        { account: accountName, issuer },
      );
      if (probe.uri.length > MAX_KEY_URI_CHARS) {
        const accountLonger = encodeURIComponent(accountName).length > 2 * encodeURIComponent(issuer).length;
        throw new ServiceError('INVALID_REQUEST', { field: accountLonger ? 'accountName' : 'issuer' });
      }
      if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_SHAPE.test(idempotencyKey)) {
        throw new ServiceError('INVALID_REQUEST', { field: 'Idempotency-Key' });
      }
      const requestHash = createHash('sha256')
        .update(JSON.stringify([subject, accountName, issuer]))
        .digest('base64url');
      const idempotency =
        idempotencyKey === undefined ? undefined : { apiKeyId: caller.keyId, idempotencyKey };
      if (idempotency !== undefined) {
        const earlier = await findApiEnrollmentByIdempotencyKey(ctx.db, idempotency);
        const replayed = earlier === undefined ? undefined : await replay(earlier, requestHash);
        if (replayed !== undefined) return replayed;
      }
      const userId = await ensureSubject(caller, subject);
      if (await totpFactor.isEnrolled(ctx.db, userId)) throw new ServiceError('TOTP_ALREADY_ENABLED');
      let pending: Awaited<ReturnType<typeof createPendingTotp>>;
      try {
        pending = await createPendingTotp(ctx, userId, async (trx, id) => {
          await deleteStaleApiEnrollments(trx, userId);
          await insertApiEnrollment(trx, {
            id,
            user_id: userId,
            api_key_id: caller.keyId,
            account_name: accountName,
            issuer,
            idempotency_key: idempotencyKey ?? null,
            request_hash: requestHash,
            created_at_ms: ctx.nowMs(),
          });
        });
      } catch (error) {
        // The same Idempotency-Key sent twice at once: the unique index lets one in; the other replays it.
        if (idempotency === undefined || !isUniqueViolation(error)) throw error;
        const winner = await findApiEnrollmentByIdempotencyKey(ctx.db, idempotency);
        const replayed = winner === undefined ? undefined : await replay(winner, requestHash);
        if (replayed === undefined) throw error;
        return replayed;
      }
      ctx.log('totp.enrollment_started', { userId });
      const view = enrollmentView(pending, { account: accountName, issuer });
      return { enrollmentId: pending.id, uri: view.uri, expiresAtMs: view.expiresAtMs, replayed: false };
    },

    async confirmEnrollment({ caller, subject, enrollmentId, code }) {
      const userId = await requireSubject(caller, subject);
      const pending = await findLivePending(ctx, userId);
      if (pending === undefined || pending.id !== enrollmentId) {
        throw new ServiceError('ENROLLMENT_NOT_FOUND', { field: 'enrollmentId' });
      }
      const digits = normalizeCode(code);
      if (digits === undefined) throw new ServiceError('MALFORMED_CODE', { field: 'code', expected: 'totp' });
      return activatePendingTotp(ctx, pending, digits);
    },

    async verify({ caller, subject, code, factor: kind }) {
      const userId = await requireSubject(caller, subject);
      const kinds = await apiFactors(ctx, userId);
      if (!hasPrimaryFactor(kinds)) throw new ServiceError('NO_SECOND_FACTOR', { field: 'subject' });
      if (kind !== undefined && !kinds.includes(kind)) {
        throw new ServiceError('FACTOR_NOT_ENROLLED', { field: 'factor' });
      }
      // The kind named, or the first of the subject's kinds whose shape fits what was typed.
      const accepting = factorsAccepting(kind === undefined ? kinds : [kind], code).map((f) => f.kind);
      const factorKind = kinds.find((k) => k === accepting[0]);
      if (factorKind === undefined) {
        const expected = kind ?? (kinds.includes('recovery') ? 'totp-or-recovery' : 'totp');
        throw new ServiceError('MALFORMED_CODE', { field: 'code', expected });
      }
      const factor = factorOf(factorKind);
      // The same limits as the sign-in page: refused while locked, counted before the comparison.
      await refuseWhileLimited(ctx, factor, userId);
      const normalized = factor.normalize(code)!;
      // The claim, the limit's bookkeeping and the audit row commit together (services/factors/attempt.ts).
      const result = await attemptFactor(
        ctx,
        factor,
        { userId, code: normalized, purpose: 'sign_in' },
        {
          onClaimed: async (trx) => {
            await ctx.events.record(trx, { type: 'sign_in.succeeded', userId, factor: factorKind });
            return true;
          },
          onRejected: async (trx, { attemptsLeft }) => {
            await ctx.events.record(trx, {
              type: 'sign_in.failed',
              userId,
              step: 'second_factor',
              factor: factorKind,
              attemptsLeft,
            });
            return attemptsLeft;
          },
        },
      );
      const remainingRecoveryCodes = await countUnusedRecoveryCodes(ctx.db, userId);
      if (result.ok === true) return { valid: true, factor: factorKind, remainingRecoveryCodes };
      // onClaimed never gives up, so a claim is never `raced` here; kept exhaustive all the same.
      const attemptsLeft = result.ok === false ? result.rejected : undefined;
      return {
        valid: false,
        factor: factorKind,
        remainingRecoveryCodes,
        ...(attemptsLeft === undefined ? {} : { attemptsLeft }),
      };
    },

    async listFactors({ caller, subject }) {
      const userId = await requireSubject(caller, subject);
      const factors: SubjectFactorView[] = [];
      for (const kind of await apiFactors(ctx, userId)) {
        if (kind === 'recovery') {
          factors.push({ kind, remaining: await countUnusedRecoveryCodes(ctx.db, userId) });
        } else {
          const credential = await findCredential(ctx.db, userId, 'active');
          factors.push({ kind, createdAtMs: credential?.confirmed_at_ms ?? credential?.created_at_ms ?? 0 });
        }
      }
      return factors;
    },

    async removeFactor({ caller, subject, factor }) {
      const userId = await requireSubject(caller, subject);
      const removed = await ctx.db.transaction().execute(async (trx) => {
        if (!(await factorOf(factor).isEnrolled(trx, userId))) return false;
        if (factor === 'totp') await removeTotp(ctx, trx, userId);
        else {
          await deleteRecoveryCodesOfUser(trx, userId);
          await ctx.events.record(trx, { type: 'second_factor.disabled', userId, factor });
        }
        return true;
      });
      if (!removed) throw new ServiceError('FACTOR_NOT_ENROLLED', { field: 'factor' });
    },

    async generateRecoveryCodes({ caller, subject }) {
      const userId = await requireSubject(caller, subject);
      if (!hasPrimaryFactor(await apiFactors(ctx, userId))) {
        throw new ServiceError('NO_SECOND_FACTOR', { field: 'subject' });
      }
      return ctx.db.transaction().execute((trx) => issueRecoveryCodes(ctx, trx, userId));
    },

    async listEvents({ caller, subject, limit = API_EVENTS_LISTED }) {
      const userId = await requireSubject(caller, subject);
      return listUserAuditEvents(ctx.db, userId, Math.max(1, Math.min(limit, API_EVENTS_LISTED)));
    },
  };
}
