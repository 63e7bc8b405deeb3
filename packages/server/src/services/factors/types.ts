/**
 * The seam every second factor plugs into. A factor is one module here plus one line in ./index.ts: sign-in,
 * re-authentication (turning 2FA off, replacing the app, new recovery codes) and the user's view all go
 * through this interface and never name a kind.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { ServiceContext } from '../context.ts';
import type { FactorKind, ServiceError } from '../types.ts';

/** One reserved attempt: counted against the factor's guess limit before the code is compared. */
export interface FactorAttempt {
  /** The code was right: the factor's limit starts over where its rules say so (on `db`, the claim's
   *  transaction). */
  accept(db: Kysely<Database>): Promise<void>;
  /**
   * The code was wrong (already counted): returns the attempts left before the factor's limit closes; throws
   * the factor's limit error (and records `lock.started` on `db`, the claim's transaction) when this failure
   * closes it.
   */
  reject(db: Kysely<Database>): Promise<number>;
  /** The code was already used (a replay: nothing guessed): the attempt is given back (on `db`). */
  release(db: Kysely<Database>): Promise<void>;
}

/**
 * What a claim found: the code was right and is now used (`claimed`), it was wrong (`wrong`), it was right
 * but already used (`replayed`: answered CODE_ALREADY_USED and not counted as a guess), or the user has nothing
 * of this kind to check it against (`absent`: never set up, or removed).
 */
export type ClaimOutcome = 'claimed' | 'wrong' | 'replayed' | 'absent';

/** Why a code is being checked: the audit log tells signing in from confirming an action. */
export type FactorPurpose = 'sign_in' | 'reauthenticate' | 'password_reset';

export interface SecondFactor {
  readonly kind: FactorKind;
  /**
   * `primary`: having it turns two-factor authentication on (an authenticator app; later email, SMS, a
   * passkey). `backup`: it only stands in for a primary one (recovery codes).
   */
  readonly role: 'primary' | 'backup';
  /** The error a wrong (or already used) code gets. */
  readonly wrongCode: 'INVALID_CODE' | 'INVALID_RECOVERY_CODE' | 'INVALID_MESSAGE_CODE';
  /** Whether the user has this factor ready to sign in with. */
  isEnrolled(db: Kysely<Database>, userId: string): Promise<boolean>;
  /** The canonical form of what was typed, or undefined when it cannot be a code of this kind. */
  normalize(input: unknown): string | undefined;
  /**
   * The error this factor's attempts are refused with for the user now, undefined when they are taken (of
   * several limits closed, the one with the longest wait: that is when a code is taken again).
   */
  limited(ctx: ServiceContext, userId: string): Promise<ServiceError | undefined>;
  /** Reserves one attempt under this factor's guess limit, before the code is compared (throws when limited). */
  reserve(ctx: ServiceContext, userId: string): Promise<FactorAttempt>;
  /**
   * Checks a normalised code and, when right, claims it (a code works once) inside the caller's transaction:
   * of two requests racing with one code, on any number of instances, exactly one gets `claimed`. Records the
   * factor's own events (a recovery code used) in that transaction.
   */
  claim(
    ctx: ServiceContext,
    trx: Kysely<Database>,
    input: { userId: string; code: string; purpose: FactorPurpose },
  ): Promise<ClaimOutcome>;
}
