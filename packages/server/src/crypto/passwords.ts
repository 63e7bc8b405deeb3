/**
 * Password hashing: argon2id through node:crypto (run on the libuv thread pool, so hashing never blocks the
 * event loop), stored as a PHC string so the parameters travel with each hash and can be raised later.
 *
 * @see RFC 9106 (Argon2); https://github.com/P-H-C/phc-string-format (the PHC string format)
 */
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';

/** Argon2id cost parameters, named as in the PHC string (m in KiB, t passes, p lanes). */
export interface Argon2Parameters {
  readonly memoryKiB: number;
  readonly passes: number;
  readonly parallelism: number;
}

/** OWASP Password Storage Cheat Sheet: argon2id with 19 MiB of memory, 2 iterations, 1 degree of parallelism. */
export const CURRENT_PARAMETERS: Argon2Parameters = { memoryKiB: 19 * 1024, passes: 2, parallelism: 1 };
/** RFC 9106 s3.1: a 16-byte salt is recommended for password hashing. */
const SALT_BYTES = 16;
/** RFC 9106 s3.1: a 32-byte tag (hash). */
const TAG_BYTES = 32;
/** RFC 9106 s3.1: version 0x13. */
const ARGON2_VERSION = 19;

/** Bounds on parameters read back from storage, so a corrupted row cannot ask for gigabytes. */
const LIMITS = { memoryKiB: [8, 1024 * 1024], passes: [1, 64], parallelism: [1, 16] } as const;

const PHC = /^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface ParsedHash {
  readonly parameters: Argon2Parameters;
  readonly salt: Buffer;
  readonly tag: Buffer;
}

/** What the services hash and check passwords with: injectable, so tests may use cheap parameters. */
export interface PasswordHasher {
  /** A PHC string for the password, with the hasher's parameters and a fresh random salt. */
  hash(password: string): Promise<string>;
  /** Checks a password against a stored PHC string (constant-time); false for one it cannot read. */
  verify(password: string, phc: string): Promise<boolean>;
  /** True when a stored hash was made with other parameters than the hasher's (rehash at next login). */
  needsRehash(phc: string): boolean;
}

/**
 * A hasher with the given parameters.
 * @default CURRENT_PARAMETERS (OWASP's): production never passes anything else.
 */
export function createPasswordHasher(parameters: Argon2Parameters = CURRENT_PARAMETERS): PasswordHasher {
  return {
    hash: (password) => hashWithSalt(password, randomBytes(SALT_BYTES), parameters),
    verify: verifyPassword,
    needsRehash: (phc) => needsRehashFor(phc, parameters),
  };
}

/** Hashes a password with the current parameters and a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  return hashWithSalt(password, randomBytes(SALT_BYTES), CURRENT_PARAMETERS);
}

/**
 * Hashes with a given salt and parameters. Exposed for reference-vector tests; use {@link hashPassword}.
 * @see https://github.com/P-H-C/phc-winner-argon2/blob/master/src/test.c
 */
export async function hashWithSalt(
  password: string,
  salt: Uint8Array,
  parameters: Argon2Parameters,
): Promise<string> {
  const tag = await deriveTag(password, salt, parameters, TAG_BYTES);
  const { memoryKiB, passes, parallelism } = parameters;
  return `$argon2id$v=${ARGON2_VERSION}$m=${memoryKiB},t=${passes},p=${parallelism}$${encodeB64(salt)}$${encodeB64(tag)}`;
}

/**
 * Checks a password against a stored PHC string, with the parameters the string names. False for a wrong
 * password and for a string this module cannot read. The comparison is constant-time.
 */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const parsed = parseHash(phc);
  if (parsed === undefined) return false;
  const tag = await deriveTag(password, parsed.salt, parsed.parameters, parsed.tag.length);
  return timingSafeEqual(tag, parsed.tag);
}

/** True when a stored hash was made with other parameters than the current ones (rehash at next login). */
export function needsRehash(phc: string): boolean {
  return needsRehashFor(phc, CURRENT_PARAMETERS);
}

function needsRehashFor(phc: string, current: Argon2Parameters): boolean {
  const parsed = parseHash(phc);
  if (parsed === undefined) return true;
  const { memoryKiB, passes, parallelism } = parsed.parameters;
  return (
    memoryKiB !== current.memoryKiB ||
    passes !== current.passes ||
    parallelism !== current.parallelism ||
    parsed.salt.length !== SALT_BYTES ||
    parsed.tag.length !== TAG_BYTES
  );
}

function parseHash(phc: string): ParsedHash | undefined {
  const match = PHC.exec(phc);
  if (match === null) return undefined;
  const [, version, m, t, p, salt, tag] = match;
  if (Number(version) !== ARGON2_VERSION) return undefined;
  const parameters = { memoryKiB: Number(m), passes: Number(t), parallelism: Number(p) };
  for (const name of ['memoryKiB', 'passes', 'parallelism'] as const) {
    const [low, high] = LIMITS[name];
    if (parameters[name] < low || parameters[name] > high) return undefined;
  }
  // RFC 9106 s3.1: memory must be at least 8 * p KiB.
  if (parameters.memoryKiB < 8 * parameters.parallelism) return undefined;
  const saltBytes = Buffer.from(salt!, 'base64');
  const tagBytes = Buffer.from(tag!, 'base64');
  if (saltBytes.length < 8 || tagBytes.length < 16 || tagBytes.length > 64) return undefined;
  return { parameters, salt: saltBytes, tag: tagBytes };
}

function deriveTag(
  password: string,
  salt: Uint8Array,
  parameters: Argon2Parameters,
  tagLength: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: Buffer.from(password, 'utf8'),
        nonce: salt,
        parallelism: parameters.parallelism,
        tagLength,
        memory: parameters.memoryKiB,
        passes: parameters.passes,
      },
      (error, derived) => (error ? reject(error) : resolve(derived)),
    );
  });
}

/** The PHC string format's B64: standard base64 without padding. */
function encodeB64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}
