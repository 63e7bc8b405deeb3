/**
 * Making recovery codes: a whole set at once, shown once, stored as keyed hashes. Turning 2FA on makes the
 * first set (services/totp.ts); `regenerate` replaces it after re-authentication.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { hashRecoveryCode } from '../crypto/recovery-code-hash.ts';
import { replaceRecoveryCodes } from '../store/recovery-codes-repo.ts';
import type { Database } from '../store/schema.ts';
import type { ServiceContext } from './context.ts';
import { formatRecoveryCode, generateRecoveryCode } from './factors/recovery.ts';
import { RECOVERY_CODE_COUNT } from './limits.ts';
import { reauthenticate } from './reauthenticate.ts';
import type { RecoveryService } from './types.ts';

/**
 * Replaces the user's set with new codes inside `trx` (with its audit event); returns them formatted for
 * display. The plain codes exist only in the return value.
 */
export async function issueRecoveryCodes(
  ctx: ServiceContext,
  trx: Kysely<Database>,
  userId: string,
): Promise<string[]> {
  const codes = new Set<string>();
  while (codes.size < RECOVERY_CODE_COUNT) codes.add(generateRecoveryCode());
  const keyId = ctx.keyring.currentKeyId;
  const createdAtMs = ctx.nowMs();
  await replaceRecoveryCodes(
    trx,
    userId,
    [...codes].map((code) => ({
      id: randomUUID(),
      user_id: userId,
      key_id: keyId,
      code_hash: hashRecoveryCode(ctx.keyring, keyId, userId, code),
      created_at_ms: createdAtMs,
      used_at_ms: null,
    })),
  );
  await ctx.events.record(trx, { type: 'recovery_codes.generated', userId, count: codes.size });
  return [...codes].map(formatRecoveryCode);
}

export function createRecoveryService(ctx: ServiceContext): RecoveryService {
  return {
    async regenerate({ userId, password, code }) {
      return reauthenticate(ctx, { userId, password, code }, (trx) => issueRecoveryCodes(ctx, trx, userId));
    },
  };
}
