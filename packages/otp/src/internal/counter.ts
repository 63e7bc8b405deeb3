const TWO_32 = 0x1_0000_0000;

/** Splits a 64-bit counter (RFC 4226 s5.1: C is 8 bytes, big-endian) into unsigned 32-bit hi and lo words. */
export function splitCounter(counter: number | bigint): [hi: number, lo: number] {
  if (typeof counter === 'number') return [Math.floor(counter / TWO_32), counter >>> 0];
  return [Number(counter >> 32n), Number(counter & 0xffff_ffffn)];
}
