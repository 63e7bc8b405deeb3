/**
 * HMAC (RFC 2104) over SHA-1, SHA-256 and SHA-512 with the key's inner and outer states computed once.
 *
 * HMAC(K, m) = H((K0 ^ opad) || H((K0 ^ ipad) || m)). `K0 ^ ipad` and `K0 ^ opad` are exactly one block
 * each, so compressing them once per key leaves, for an 8-byte HOTP/TOTP counter, one compression for
 * the inner hash and one for the outer hash: the whole cost of a code. The counter path reuses schedule
 * arrays whose padding words never change and allocates nothing.
 *
 * @see https://www.rfc-editor.org/rfc/rfc2104#section-2
 */
import { OTPError } from '../errors.ts';
import { ALGORITHMS, type Algorithm } from './algorithm.ts';
import { describe } from './describe.ts';
import { hashFinal, readWordsBE, wordsToBytes } from './sha-blocks.ts';
import {
  compressSHA1,
  SHA1_BLOCK_BYTES,
  SHA1_DIGEST_BYTES,
  SHA1_IV,
  SHA1_SCHEDULE_WORDS,
  sha1,
} from './sha1.ts';
import {
  compressSHA256,
  SHA256_BLOCK_BYTES,
  SHA256_DIGEST_BYTES,
  SHA256_IV,
  SHA256_SCHEDULE_WORDS,
  sha256,
} from './sha256.ts';
import {
  compressSHA512,
  SHA512_BLOCK_BYTES,
  SHA512_DIGEST_BYTES,
  SHA512_IV,
  SHA512_SCHEDULE_WORDS,
  sha512,
} from './sha512.ts';

/** An HMAC key with its inner and outer hash states precomputed. */
export interface PreparedHMAC {
  readonly algorithm: Algorithm;
  /** 20, 32 or 64. */
  readonly digestBytes: number;
  /**
   * HMAC over the 8-byte big-endian counter `hi * 2^32 + lo` (`hi`, `lo` unsigned 32-bit), the message
   * of HOTP (RFC 4226 s5.2) and TOTP (RFC 6238 s4). Returns a buffer owned by this object that the next
   * call overwrites (no allocation per call).
   */
  counter(hi: number, lo: number): Uint8Array;
  /** HMAC over any message; returns a new array. */
  digest(message: Uint8Array): Uint8Array;
}

/** RFC 2104 s2: ipad = the byte 0x36 repeated, opad = the byte 0x5C repeated (here as 32-bit words). */
const IPAD_WORD = 0x36363636;
const OPAD_WORD = 0x5c5c5c5c;

/** What the key preparation needs to know about a hash. */
interface HashSpec {
  readonly blockBytes: number;
  readonly iv: readonly number[];
  readonly scheduleWords: number;
  readonly compress: (h: Int32Array, w: Int32Array, out: Int32Array) => void;
  readonly hash: (data: Uint8Array) => Uint8Array;
}

const SHA1_SPEC: HashSpec = {
  blockBytes: SHA1_BLOCK_BYTES,
  iv: SHA1_IV,
  scheduleWords: SHA1_SCHEDULE_WORDS,
  compress: compressSHA1,
  hash: sha1,
};
const SHA256_SPEC: HashSpec = {
  blockBytes: SHA256_BLOCK_BYTES,
  iv: SHA256_IV,
  scheduleWords: SHA256_SCHEDULE_WORDS,
  compress: compressSHA256,
  hash: sha256,
};
const SHA512_SPEC: HashSpec = {
  blockBytes: SHA512_BLOCK_BYTES,
  iv: SHA512_IV,
  scheduleWords: SHA512_SCHEDULE_WORDS,
  compress: compressSHA512,
  hash: sha512,
};

/**
 * RFC 2104 s2 steps 1-2 and the first compression of steps 3 and 6: writes the states after
 * `K0 ^ ipad` into `inner` and after `K0 ^ opad` into `outer`. A key longer than the block is hashed
 * first; a shorter one is padded with zeros.
 */
function prepareStates(spec: HashSpec, key: Uint8Array, inner: Int32Array, outer: Int32Array): void {
  const blockBytes = spec.blockBytes;
  const k0 = new Uint8Array(blockBytes);
  const source = key.length > blockBytes ? spec.hash(key) : key;
  k0.set(source);
  const blockWords = blockBytes >>> 2;
  const w = new Int32Array(spec.scheduleWords);
  readWordsBE(k0, 0, w, blockWords);
  for (let i = 0; i < blockWords; i++) w[i] = w[i]! ^ IPAD_WORD;
  inner.set(spec.iv);
  spec.compress(inner, w, inner);
  readWordsBE(k0, 0, w, blockWords);
  for (let i = 0; i < blockWords; i++) w[i] = w[i]! ^ OPAD_WORD;
  outer.set(spec.iv);
  spec.compress(outer, w, outer);
  // The padded (or hashed) key is as secret as the key: do not leave it to the garbage collector as it is.
  if (source !== key) source.fill(0);
  k0.fill(0);
  w.fill(0);
}

/**
 * The general path, RFC 2104 s2 steps 3-7 from the prepared states: the inner hash continues after
 * one block, and its digest is the outer hash's message after one block.
 */
function digestGeneral(
  spec: HashSpec,
  digestBytes: number,
  lengthBytes: number,
  inner: Int32Array,
  outer: Int32Array,
  message: Uint8Array,
): Uint8Array {
  const w = new Int32Array(spec.scheduleWords);
  const innerState = inner.slice();
  hashFinal(innerState, w, message, spec.blockBytes, spec.blockBytes, lengthBytes, spec.compress);
  const outerState = outer.slice();
  hashFinal(
    outerState,
    w,
    wordsToBytes(innerState, digestBytes),
    spec.blockBytes,
    spec.blockBytes,
    lengthBytes,
    spec.compress,
  );
  return wordsToBytes(outerState, digestBytes);
}

/**
 * Fixed schedules of the counter path, shared by every key of a hash (JavaScript runs one call at a
 * time, and a call leaves nothing in them that the next call relies on besides the padding words).
 * Inner block: the 8-byte counter, then padding for a message of one block + 8 bytes.
 * Outer block: the inner digest, then padding for one block + the digest length.
 */
function counterSchedules(
  scheduleWords: number,
  blockBytes: number,
  digestBytes: number,
): { inner: Int32Array; outer: Int32Array } {
  const lastWord = (blockBytes >>> 2) - 1;
  const inner = new Int32Array(scheduleWords);
  inner[2] = 0x80000000 | 0;
  inner[lastWord] = (blockBytes + 8) * 8;
  const outer = new Int32Array(scheduleWords);
  outer[digestBytes >>> 2] = 0x80000000 | 0;
  outer[lastWord] = (blockBytes + digestBytes) * 8;
  return { inner, outer };
}

const SHA1_COUNTER = counterSchedules(SHA1_SCHEDULE_WORDS, SHA1_BLOCK_BYTES, SHA1_DIGEST_BYTES);
const SHA256_COUNTER = counterSchedules(SHA256_SCHEDULE_WORDS, SHA256_BLOCK_BYTES, SHA256_DIGEST_BYTES);
const SHA512_COUNTER = counterSchedules(SHA512_SCHEDULE_WORDS, SHA512_BLOCK_BYTES, SHA512_DIGEST_BYTES);

class PreparedHMACSHA1 implements PreparedHMAC {
  readonly algorithm: Algorithm = 'SHA1';
  readonly digestBytes: number = SHA1_DIGEST_BYTES;
  readonly #inner = new Int32Array(5);
  readonly #outer = new Int32Array(5);
  readonly #result = new Int32Array(5);
  readonly #bytes = new Uint8Array(SHA1_DIGEST_BYTES);

  constructor(key: Uint8Array) {
    prepareStates(SHA1_SPEC, key, this.#inner, this.#outer);
  }

  counter(hi: number, lo: number): Uint8Array {
    const wi = SHA1_COUNTER.inner;
    const wo = SHA1_COUNTER.outer;
    wi[0] = hi;
    wi[1] = lo;
    // The inner digest lands directly in the first five words of the outer block.
    compressSHA1(this.#inner, wi, wo);
    const r = this.#result;
    compressSHA1(this.#outer, wo, r);
    return writeBytes(r, this.#bytes, 5);
  }

  digest(message: Uint8Array): Uint8Array {
    return digestGeneral(SHA1_SPEC, SHA1_DIGEST_BYTES, 8, this.#inner, this.#outer, message);
  }
}

class PreparedHMACSHA256 implements PreparedHMAC {
  readonly algorithm: Algorithm = 'SHA256';
  readonly digestBytes: number = SHA256_DIGEST_BYTES;
  readonly #inner = new Int32Array(8);
  readonly #outer = new Int32Array(8);
  readonly #result = new Int32Array(8);
  readonly #bytes = new Uint8Array(SHA256_DIGEST_BYTES);

  constructor(key: Uint8Array) {
    prepareStates(SHA256_SPEC, key, this.#inner, this.#outer);
  }

  counter(hi: number, lo: number): Uint8Array {
    const wi = SHA256_COUNTER.inner;
    const wo = SHA256_COUNTER.outer;
    wi[0] = hi;
    wi[1] = lo;
    compressSHA256(this.#inner, wi, wo);
    const r = this.#result;
    compressSHA256(this.#outer, wo, r);
    return writeBytes(r, this.#bytes, 8);
  }

  digest(message: Uint8Array): Uint8Array {
    return digestGeneral(SHA256_SPEC, SHA256_DIGEST_BYTES, 8, this.#inner, this.#outer, message);
  }
}

class PreparedHMACSHA512 implements PreparedHMAC {
  readonly algorithm: Algorithm = 'SHA512';
  readonly digestBytes: number = SHA512_DIGEST_BYTES;
  readonly #inner = new Int32Array(16);
  readonly #outer = new Int32Array(16);
  readonly #result = new Int32Array(16);
  readonly #bytes = new Uint8Array(SHA512_DIGEST_BYTES);

  constructor(key: Uint8Array) {
    prepareStates(SHA512_SPEC, key, this.#inner, this.#outer);
  }

  counter(hi: number, lo: number): Uint8Array {
    const wi = SHA512_COUNTER.inner;
    const wo = SHA512_COUNTER.outer;
    // The counter is the first 64-bit word of the block: its high half, then its low half.
    wi[0] = hi;
    wi[1] = lo;
    compressSHA512(this.#inner, wi, wo);
    const r = this.#result;
    compressSHA512(this.#outer, wo, r);
    return writeBytes(r, this.#bytes, 16);
  }

  digest(message: Uint8Array): Uint8Array {
    // s5.1.2: SHA-512 padding ends with a 128-bit length.
    return digestGeneral(SHA512_SPEC, SHA512_DIGEST_BYTES, 16, this.#inner, this.#outer, message);
  }
}

/** Big-endian bytes of `words[0..count-1]` into `bytes`, which it returns. */
function writeBytes(words: Int32Array, bytes: Uint8Array, count: number): Uint8Array {
  for (let i = 0, j = 0; i < count; i++, j += 4) {
    const x = words[i]!;
    bytes[j] = x >>> 24;
    bytes[j + 1] = x >>> 16;
    bytes[j + 2] = x >>> 8;
    bytes[j + 3] = x;
  }
  return bytes;
}

/**
 * Precomputes the inner and outer states (key XOR ipad / opad compressed once).
 *
 * @see https://www.rfc-editor.org/rfc/rfc2104#section-4 (precomputed intermediate results)
 */
export function prepareHMAC(algorithm: Algorithm, key: Uint8Array): PreparedHMAC {
  switch (algorithm) {
    case 'SHA1':
      return new PreparedHMACSHA1(key);
    case 'SHA256':
      return new PreparedHMACSHA256(key);
    case 'SHA512':
      return new PreparedHMACSHA512(key);
    default:
      throw new OTPError(
        'UNSUPPORTED_ALGORITHM',
        `algorithm must be one of ${ALGORITHMS.join(', ')}, got ${describe(algorithm)}`,
      );
  }
}

/**
 * One-shot HMAC (prepares and digests).
 *
 * @see https://www.rfc-editor.org/rfc/rfc2104#section-2
 */
export function hmac(algorithm: Algorithm, key: Uint8Array, message: Uint8Array): Uint8Array {
  return prepareHMAC(algorithm, key).digest(message);
}
