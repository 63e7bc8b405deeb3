/**
 * The registry of second factors. Adding one: a module in this folder implementing SecondFactor, and one line
 * in FACTORS. Sign-in, re-authentication and the user's view read this list and never name a kind.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { CodeShape, FactorKind } from '../types.ts';
import { hotpFactor } from './hotp.ts';
import { emailFactor, smsFactor } from './message.ts';
import { recoveryFactor } from './recovery.ts';
import { totpFactor } from './totp.ts';
import type { SecondFactor } from './types.ts';

/** In the order sign-in offers them. */
export const FACTORS: readonly SecondFactor[] = [
  totpFactor,
  hotpFactor,
  emailFactor,
  smsFactor,
  recoveryFactor,
];

export function factorOf(kind: FactorKind): SecondFactor {
  const factor = FACTORS.find((f) => f.kind === kind);
  if (factor === undefined) throw new Error(`unknown second factor '${kind}'`);
  return factor;
}

/** The kinds the user has, in registry order. */
export async function enrolledFactors(db: Kysely<Database>, userId: string): Promise<FactorKind[]> {
  const enrolled = await Promise.all(FACTORS.map((f) => f.isEnrolled(db, userId)));
  return FACTORS.filter((_, i) => enrolled[i]).map((f) => f.kind);
}

/** Two-factor authentication is on when the user has a primary factor (backup factors only stand in). */
export function hasPrimaryFactor(kinds: readonly FactorKind[]): boolean {
  return kinds.some((kind) => factorOf(kind).role === 'primary');
}

/** Which of `kinds` could have produced what was typed (by its shape), in registry order. */
export function factorsAccepting(kinds: readonly FactorKind[], input: unknown): SecondFactor[] {
  return kinds.map(factorOf).filter((f) => f.normalize(input) !== undefined);
}

/** Whether two-factor authentication is on for the user (asks only the primary factors: one query today). */
export async function isSecondFactorOn(db: Kysely<Database>, userId: string): Promise<boolean> {
  for (const factor of FACTORS) {
    if (factor.role === 'primary' && (await factor.isEnrolled(db, userId))) return true;
  }
  return false;
}

/**
 * What a code field for these kinds takes (the app's 6 digits win over a hardware token's, and those over
 * emailed ones: a user with the app confirms changes with it), for MALFORMED_CODE's words and the pages' labels; undefined for none.
 */
export function codeShapeOf(kinds: readonly FactorKind[]): CodeShape | undefined {
  const six = kinds.includes('totp')
    ? 'totp'
    : kinds.includes('hotp')
      ? 'token'
      : kinds.includes('email') || kinds.includes('sms')
        ? 'message'
        : undefined;
  const recovery = kinds.includes('recovery');
  if (six === undefined) return recovery ? 'recovery' : undefined;
  return recovery ? `${six}-or-recovery` : six;
}

/** The kinds that may confirm a password reset: every one but email (the link came by email already). */
export function nonEmailFactors(kinds: readonly FactorKind[]): FactorKind[] {
  return kinds.filter((kind) => kind !== 'email');
}

/** Stored on a pending session: the kinds it may use, comma-separated. */
export function encodeFactorKinds(kinds: readonly FactorKind[]): string {
  return kinds.join(',');
}

export function decodeFactorKinds(text: string | null): FactorKind[] {
  if (text === null || text === '') return [];
  return text.split(',').filter((kind): kind is FactorKind => FACTORS.some((f) => f.kind === kind));
}

export type { FactorAttempt, FactorPurpose, SecondFactor } from './types.ts';
