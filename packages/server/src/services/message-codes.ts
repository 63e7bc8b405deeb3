/**
 * One mechanism for everything sent by message: a 6-digit code, a link, or both in one message, for one
 * purpose (verify the email address, reset the password). At most one live code per user and purpose (a new
 * one replaces the old), stored only as a keyed hash (the code) and a SHA-256 (the link's 256-bit token),
 * at most 5 attempts per code, sent at most once a minute and 10 times a day, used once.
 */
import { randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { hashMessageCode } from '../crypto/message-code-hash.ts';
import { generateToken, hashToken, isWellFormedToken } from '../crypto/tokens.ts';
import {
  claimMessageCode,
  findMessageCode,
  findMessageCodeByTokenHash,
  spendMessageCodeAttempt,
  storeMessageCode,
} from '../store/message-codes-repo.ts';
import type { Database, MessageCodePurpose, MessageCodeRow } from '../store/schema.ts';
import type { ServiceContext } from './context.ts';
import { normalizeCode } from './factors/totp.ts';
import { MAX_MESSAGE_CODE_ATTEMPTS, MAX_MESSAGES_PER_DAY, MESSAGE_RESEND_INTERVAL_MS } from './limits.ts';
import { ServiceError } from './types.ts';

export type { MessageCodePurpose };

/** A new code or link, in clear: it goes into the one message it is for, and nowhere else. */
export interface IssuedMessageCode {
  readonly code?: string;
  readonly token?: string;
}

/**
 * Makes a new code (and/or link) for the user and purpose, replacing any earlier one, unless the resend
 * limits refuse: then throws RESEND_TOO_SOON or SEND_LIMIT_REACHED (with retryAfterMs).
 */
export async function issueMessageCode(
  ctx: ServiceContext,
  input: {
    userId: string;
    purpose: MessageCodePurpose;
    withCode: boolean;
    withLink: boolean;
    validMs: number;
  },
): Promise<IssuedMessageCode> {
  const nowMs = ctx.nowMs();
  const previous = await findMessageCode(ctx.db, input.userId, input.purpose);
  const { sends, windowStartMs } = nextSend(nowMs, previous);
  // RFC 4226 s7.2-style: the digits from the CSPRNG, uniformly (randomInt has no modulo bias).
  const code = input.withCode ? String(randomInt(0, 1_000_000)).padStart(6, '0') : undefined;
  const token = input.withLink ? generateToken() : undefined;
  const keyId = ctx.keyring.currentKeyId;
  const stored = await storeMessageCode(
    ctx.db,
    {
      id: randomUUID(),
      user_id: input.userId,
      purpose: input.purpose,
      key_id: keyId,
      code_hash:
        code === undefined
          ? null
          : hashMessageCode(ctx.keyring, keyId, { userId: input.userId, purpose: input.purpose, code }),
      token_hash: token === undefined ? null : hashToken(token),
      sent_at_ms: nowMs,
      sends,
      sends_window_start_ms: windowStartMs,
      expires_at_ms: nowMs + input.validMs,
      used_at_ms: null,
    },
    previous?.sent_at_ms ?? null,
  );
  // Another request sent one just now (two clicks on "send again"): that one counts, this one is too soon.
  if (!stored) throw new ServiceError('RESEND_TOO_SOON', { retryAfterMs: MESSAGE_RESEND_INTERVAL_MS });
  return { ...(code === undefined ? {} : { code }), ...(token === undefined ? {} : { token }) };
}

/**
 * Throws RESEND_TOO_SOON or SEND_LIMIT_REACHED (with retryAfterMs) when the resend limits would refuse a new
 * message for the user and purpose now: a change that ends in such a message asks before it checks a code
 * (a refusal inside the code's transaction would count as a wrong code) and before it changes anything.
 */
export async function checkCanSend(
  ctx: ServiceContext,
  input: { userId: string; purpose: MessageCodePurpose },
): Promise<void> {
  nextSend(ctx.nowMs(), await findMessageCode(ctx.db, input.userId, input.purpose));
}

/** The send counts a new message would have, or the refusal of the limits (once a minute, 10 a day). */
function nextSend(
  nowMs: number,
  previous: MessageCodeRow | undefined,
): { sends: number; windowStartMs: number } {
  if (previous === undefined) return { sends: 1, windowStartMs: nowMs };
  const sinceLastMs = nowMs - previous.sent_at_ms;
  if (sinceLastMs < MESSAGE_RESEND_INTERVAL_MS) {
    throw new ServiceError('RESEND_TOO_SOON', { retryAfterMs: MESSAGE_RESEND_INTERVAL_MS - sinceLastMs });
  }
  if (nowMs - previous.sends_window_start_ms >= DAY_MS) return { sends: 1, windowStartMs: nowMs };
  if (previous.sends >= MAX_MESSAGES_PER_DAY) {
    throw new ServiceError('SEND_LIMIT_REACHED', {
      retryAfterMs: previous.sends_window_start_ms + DAY_MS - nowMs,
    });
  }
  return { sends: previous.sends + 1, windowStartMs: previous.sends_window_start_ms };
}

/**
 * Inside `db` (a transaction the caller commits whatever the outcome): counts one attempt at the user's live
 * code for `purpose` (at most 5 per code), compares keyed hashes in constant time, and uses a right code up.
 * `digits` is already normalised.
 */
export async function matchMessageCode(
  ctx: ServiceContext,
  db: Kysely<Database>,
  input: { userId: string; purpose: MessageCodePurpose; digits: string },
): Promise<{ readonly ok: true } | { readonly ok: false; readonly attemptsLeft: number }> {
  const row = await findMessageCode(db, input.userId, input.purpose);
  if (row === undefined || row.code_hash === null || !isLive(ctx, row)) return { ok: false, attemptsLeft: 0 };
  const used = await spendMessageCodeAttempt(db, { id: row.id, maxAttempts: MAX_MESSAGE_CODE_ATTEMPTS });
  if (used === undefined) return { ok: false, attemptsLeft: 0 };
  const expected = Buffer.from(row.code_hash, 'base64url');
  const actual = Buffer.from(
    ctx.keyring.keys.has(row.key_id)
      ? hashMessageCode(ctx.keyring, row.key_id, { ...input, code: input.digits })
      : '',
    'base64url',
  );
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, attemptsLeft: MAX_MESSAGE_CODE_ATTEMPTS - used };
  }
  if (!(await claimMessageCode(db, { id: row.id, nowMs: ctx.nowMs() })))
    return { ok: false, attemptsLeft: 0 };
  return { ok: true };
}

/**
 * Checks a typed code for the user and purpose and, when right, runs `onClaimed` in the same transaction.
 * Throws MALFORMED_CODE (no attempt spent) and INVALID_MESSAGE_CODE (wrong, expired, used or out of attempts;
 * with attemptsLeft): the attempt is counted either way.
 */
export async function checkMessageCode<T>(
  ctx: ServiceContext,
  input: { userId: string; purpose: MessageCodePurpose; code: unknown },
  onClaimed: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const digits = normalizeCode(input.code);
  if (digits === undefined) throw new ServiceError('MALFORMED_CODE', { field: 'code', expected: 'message' });
  const result = await ctx.db.transaction().execute(async (trx) => {
    const match = await matchMessageCode(ctx, trx, { userId: input.userId, purpose: input.purpose, digits });
    return match.ok ? { ok: true as const, value: await onClaimed(trx) } : match;
  });
  if (!result.ok) throw invalidCode(result.attemptsLeft);
  return result.value;
}

/** The live code row a link's token names, for `purpose`; undefined for anything else (no error detail). */
export async function findLiveLink(
  ctx: ServiceContext,
  token: unknown,
  purpose: MessageCodePurpose,
): Promise<MessageCodeRow | undefined> {
  if (typeof token !== 'string' || !isWellFormedToken(token)) return undefined;
  const row = await findMessageCodeByTokenHash(ctx.db, hashToken(token));
  return row !== undefined && row.purpose === purpose && isLive(ctx, row) ? row : undefined;
}

/** Uses a link's row up inside `trx`: false when another request used it first (or it just expired). */
export async function claimLink(
  ctx: ServiceContext,
  trx: Kysely<Database>,
  row: MessageCodeRow,
): Promise<boolean> {
  return claimMessageCode(trx, { id: row.id, nowMs: ctx.nowMs() });
}

const DAY_MS = 24 * 60 * 60 * 1000;

function isLive(ctx: ServiceContext, row: MessageCodeRow): boolean {
  return row.used_at_ms === null && ctx.nowMs() < row.expires_at_ms;
}

function invalidCode(attemptsLeft: number): ServiceError {
  return new ServiceError('INVALID_MESSAGE_CODE', { field: 'code', attemptsLeft });
}
