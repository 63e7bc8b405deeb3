/**
 * Message padding and block feeding shared by SHA-1, SHA-256 and SHA-512 (FIPS 180-4 s5.1, s5.2), and the
 * big-endian conversions between bytes and 32-bit words. SHA-512's 64-bit words are stored as pairs of
 * 32-bit halves (high first), so the same big-endian word loading serves all three.
 *
 * @see https://nvlpubs.nist.gov/nistpubs/FIPS/NIST.FIPS.180-4.pdf
 */

/** A compression function: `out = h + compress(h, w)`, the block in the first words of `w`. */
export type CompressFunction = (h: Int32Array, w: Int32Array, out: Int32Array) => void;

/** Room for the last one or two padded blocks of the largest block size (SHA-512: 2 x 128 bytes). */
const tail = new Uint8Array(256);

/** Reads `count` big-endian 32-bit words from `bytes` at `offset` into `w[0..count-1]`. */
export function readWordsBE(bytes: Uint8Array, offset: number, w: Int32Array, count: number): void {
  for (let i = 0, j = offset; i < count; i++, j += 4) {
    w[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
}

/** Writes the first `byteLength / 4` words of `words` big-endian into a new array. */
export function wordsToBytes(words: Int32Array, byteLength: number): Uint8Array {
  const out = new Uint8Array(byteLength);
  for (let i = 0, j = 0; j < byteLength; i++, j += 4) {
    const x = words[i]!;
    out[j] = x >>> 24;
    out[j + 1] = x >>> 16;
    out[j + 2] = x >>> 8;
    out[j + 3] = x;
  }
  return out;
}

/**
 * Hashes all of `data` into the chaining value `h`, then the padding (FIPS 180-4 s5.1): a 1 bit, zeros,
 * and the message length in bits in the last `lengthBytes` bytes of the final block (8 for SHA-1 and
 * SHA-256, 16 for SHA-512). `prefixBytes` whole blocks are already in `h` (HMAC's key block) and count
 * in the length. `w` is the schedule array that `compress` expects.
 */
export function hashFinal(
  h: Int32Array,
  w: Int32Array,
  data: Uint8Array,
  prefixBytes: number,
  blockBytes: number,
  lengthBytes: number,
  compress: CompressFunction,
): void {
  const blockWords = blockBytes >>> 2;
  const length = data.length;
  const whole = length - (length % blockBytes);
  for (let offset = 0; offset < whole; offset += blockBytes) {
    readWordsBE(data, offset, w, blockWords);
    compress(h, w, h);
  }
  const rest = length - whole;
  const padded = rest + 1 + lengthBytes <= blockBytes ? blockBytes : 2 * blockBytes;
  tail.fill(0, 0, padded);
  tail.set(data.subarray(whole), 0);
  tail[rest] = 0x80;
  // Bit length as a big-endian integer; JavaScript arrays stay far below 2^53 bits.
  const bits = (prefixBytes + length) * 8;
  const high = Math.floor(bits / 0x100000000);
  const low = bits >>> 0;
  const end = padded - 8;
  tail[end] = high >>> 24;
  tail[end + 1] = high >>> 16;
  tail[end + 2] = high >>> 8;
  tail[end + 3] = high;
  tail[end + 4] = low >>> 24;
  tail[end + 5] = low >>> 16;
  tail[end + 6] = low >>> 8;
  tail[end + 7] = low;
  for (let offset = 0; offset < padded; offset += blockBytes) {
    readWordsBE(tail, offset, w, blockWords);
    compress(h, w, h);
  }
}
