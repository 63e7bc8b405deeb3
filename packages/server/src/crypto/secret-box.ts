/**
 * Secrets at rest: AES-256-GCM under a master key from a keyring. Each sealed value carries the id of the
 * key that sealed it (so keys can rotate: open with any known key, seal with the current one) and is bound
 * to its owner through the associated data, so a ciphertext copied into another row does not open.
 *
 * @see NIST SP 800-38D (GCM): 96-bit random IVs, at most 2^32 seals per key; 128-bit tags.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

/** AES-256: a 32-byte key. */
export const MASTER_KEY_BYTES = 32;
/** NIST SP 800-38D s8.2.2: a random IV of 96 bits. */
const IV_BYTES = 12;
/** NIST SP 800-38D s5.2.1.2: the full 128-bit tag. */
const TAG_BYTES = 16;
/** The key id of a bare key (one given without a `kid:` prefix). */
export const DEFAULT_KEY_ID = 'default';

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=?$/;

/** Master keys by id; `currentKeyId` seals, every key opens. */
export interface Keyring {
  readonly currentKeyId: string;
  readonly keys: ReadonlyMap<string, KeyObject>;
}

/** A sealed value as stored: the key id beside base64url(IV || ciphertext || tag). */
export interface SealedSecret {
  readonly keyId: string;
  readonly ciphertext: string;
}

/** Opening failed: unknown key id, wrong key, or the data or its associated data changed. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/**
 * Parses `TWOFA_MASTER_KEY` (or the generated key file): `base64` (key id `default`) or a comma-separated
 * `kid:base64` list whose first entry is the current key. Base64 may be standard or URL-safe. Messages
 * never contain key material.
 */
export function parseKeyring(text: string): Keyring {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('is empty');
  const keys = new Map<string, KeyObject>();
  let currentKeyId: string | undefined;
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const keyId = colon === -1 ? DEFAULT_KEY_ID : entry.slice(0, colon);
    const encoded = colon === -1 ? entry : entry.slice(colon + 1);
    const position = `entry ${index + 1}`;
    if (!KEY_ID.test(keyId)) {
      throw new Error(`${position}: a key id is 1 to 32 letters, digits, '-' or '_'`);
    }
    if (keys.has(keyId)) throw new Error(`${position}: key id '${keyId}' appears twice`);
    const standard = encoded.replaceAll('-', '+').replaceAll('_', '/');
    if (!BASE64_32_BYTES.test(standard)) {
      throw new Error(`${position} (key id '${keyId}'): must be the base64 of exactly 32 random bytes`);
    }
    keys.set(keyId, createSecretKey(Buffer.from(standard, 'base64')));
    currentKeyId ??= keyId;
  });
  return { currentKeyId: currentKeyId!, keys };
}

/** A new random master key in the form `parseKeyring` reads (a bare key: id `default`). */
export function generateMasterKey(): string {
  return randomBytes(MASTER_KEY_BYTES).toString('base64');
}

/** Seals `plaintext` under the current key, bound to `associatedData`. */
export function sealSecret(keyring: Keyring, plaintext: Uint8Array, associatedData: string): SealedSecret {
  const key = keyring.keys.get(keyring.currentKeyId);
  if (key === undefined) throw new SecretBoxError('the current key is missing from the keyring');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const sealed = Buffer.concat([iv, body, cipher.getAuthTag()]);
  return { keyId: keyring.currentKeyId, ciphertext: sealed.toString('base64url') };
}

/** Opens a sealed value with the key its id names. Throws SecretBoxError when it cannot be authenticated. */
export function openSecret(keyring: Keyring, sealed: SealedSecret, associatedData: string): Uint8Array {
  const key = keyring.keys.get(sealed.keyId);
  if (key === undefined) {
    throw new SecretBoxError(`sealed under key id '${sealed.keyId}', which the master key list lacks`);
  }
  const bytes = Buffer.from(sealed.ciphertext, 'base64url');
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('sealed value is truncated');
  const iv = bytes.subarray(0, IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
  } catch {
    throw new SecretBoxError('cannot open sealed value: wrong key, or the value or its owner changed');
  }
}

/** Associated data for a TOTP secret: binds the ciphertext to its user and credential rows. */
export function totpSecretContext(userId: string, credentialId: string): string {
  return `twofa:totp:${userId}:${credentialId}`;
}

/** Associated data for a hardware token's (HOTP) secret: its own context, so a TOTP ciphertext copied into
 *  the token table (or back) does not open. */
export function hotpSecretContext(userId: string, credentialId: string): string {
  return `twofa:hotp:${userId}:${credentialId}`;
}

/** Associated data for a phone number: binds the ciphertext to its user's row. */
export function phoneContext(userId: string): string {
  return `twofa:phone:${userId}`;
}

/** True when a sealed value should be re-sealed under the current key (rotation). */
export function needsReseal(keyring: Keyring, sealed: SealedSecret): boolean {
  return sealed.keyId !== keyring.currentKeyId;
}
