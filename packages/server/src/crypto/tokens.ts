/**
 * Bearer tokens (session cookies): 256 random bits as base64url. Only their SHA-256 is stored, so a copy
 * of the database does not hold a usable token. SHA-256 without salt is enough here: the input has 256 bits
 * of entropy, so there is nothing to guess.
 */
import { createHash, randomBytes } from 'node:crypto';

/** 256 bits: far beyond the 64 bits OWASP's Session Management Cheat Sheet asks of a session id. */
const TOKEN_BYTES = 32;
/** base64url of 32 bytes, unpadded: 43 characters. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A new random token, base64url. */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** True when `value` has the shape of a token from {@link generateToken} (checked before any lookup). */
export function isWellFormedToken(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

/** The stored form of a token: SHA-256, base64url. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}
