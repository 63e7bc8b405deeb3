/**
 * The subset of the protobuf wire format that Google Authenticator's export payload uses: varints and
 * length-delimited fields. Hand-written (about 150 lines) so @twofa/otp keeps zero dependencies.
 * Malformed input (truncated, over-long varints, lengths past the end, group or unknown wire types) throws
 * `INVALID_MIGRATION_URI`; unknown field numbers are skipped, as protobuf requires.
 * @see https://protobuf.dev/programming-guides/encoding/
 */
import { OTPError } from '../errors.ts';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

/** protobuf.dev encoding: a varint is at most 10 bytes (64 bits, 7 per byte). */
const MAX_VARINT_BYTES = 10;
/** Field numbers are 29 bits. */
const MAX_FIELD_NUMBER = 2 ** 29 - 1;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** One field read by {@link ProtoReader.next}; `varint` for wire type 0, `bytes` for type 2. */
export interface ProtoField {
  readonly number: number;
  readonly wireType: number;
  readonly varint: bigint;
  readonly bytes: Uint8Array;
}

const NO_BYTES = new Uint8Array(0);

/** Reads one message's fields in order. `what` names the message in errors (`payload`, `entry 2`). */
export class ProtoReader {
  readonly #bytes: Uint8Array;
  readonly #what: string;
  #position = 0;

  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#what = what;
  }

  /** The next field, or `undefined` at the end of the message. Fixed-width fields are skipped. */
  next(): ProtoField | undefined {
    while (this.#position < this.#bytes.length) {
      const at = this.#position;
      const tag = this.#varint();
      const number = Number(tag >> 3n);
      const wireType = Number(tag & 7n);
      if (number === 0 || number > MAX_FIELD_NUMBER) this.#fail(`invalid field number at byte ${at}`);
      switch (wireType) {
        case WIRE_VARINT:
          return { number, wireType, varint: this.#varint(), bytes: NO_BYTES };
        case WIRE_LENGTH_DELIMITED: {
          const lengthAt = this.#position;
          const length = this.#varint();
          const remaining = this.#bytes.length - this.#position;
          if (length > BigInt(remaining)) {
            this.#fail(
              `field ${number} at byte ${lengthAt} claims ${length} bytes but only ${remaining} remain`,
            );
          }
          const start = this.#position;
          this.#position += Number(length);
          return { number, wireType, varint: 0n, bytes: this.#bytes.subarray(start, this.#position) };
        }
        case WIRE_FIXED64:
        case WIRE_FIXED32: {
          const size = wireType === WIRE_FIXED64 ? 8 : 4;
          if (this.#position + size > this.#bytes.length) this.#fail(`field ${number} is truncated`);
          this.#position += size;
          break;
        }
        default:
          this.#fail(`field ${number} at byte ${at} has unsupported wire type ${wireType}`);
      }
    }
    return undefined;
  }

  #varint(): bigint {
    const start = this.#position;
    let value = 0n;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.#position >= this.#bytes.length) this.#fail(`truncated varint at byte ${start}`);
      const byte = this.#bytes[this.#position++]!;
      // The tenth byte holds only bit 63: a continuation bit there makes the varint too long, any other
      // bit overflows 64 bits.
      if (i === MAX_VARINT_BYTES - 1 && byte > 1) {
        this.#fail(
          byte >= 0x80
            ? `varint at byte ${start} is longer than ${MAX_VARINT_BYTES} bytes`
            : `varint at byte ${start} overflows 64 bits`,
        );
      }
      value |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if (byte < 0x80) break;
    }
    return value;
  }

  #fail(message: string): never {
    throw new OTPError('INVALID_MIGRATION_URI', `${this.#what}: ${message}`);
  }
}

/** Protobuf `int32`/enum semantics: the low 32 bits, signed. */
export function toInt32(value: bigint): number {
  return Number(BigInt.asIntN(32, value));
}

/** Decodes a `string` field; invalid UTF-8 throws `INVALID_MIGRATION_URI` naming `field`. */
export function decodeUTF8(bytes: Uint8Array, field: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new OTPError('INVALID_MIGRATION_URI', `${field} is not valid UTF-8`);
  }
}

/** Writes fields in the order given. Zero/empty values are written too; callers leave out defaults. */
export class ProtoWriter {
  readonly #bytes: number[] = [];

  /** A varint field; negative numbers are written as 64-bit two's complement (protobuf `int32`). */
  varint(number: number, value: number | bigint): this {
    this.#rawVarint(BigInt((number << 3) | WIRE_VARINT));
    this.#rawVarint(BigInt.asUintN(64, BigInt(value)));
    return this;
  }

  bytes(number: number, value: Uint8Array): this {
    this.#rawVarint(BigInt((number << 3) | WIRE_LENGTH_DELIMITED));
    this.#rawVarint(BigInt(value.length));
    for (let i = 0; i < value.length; i++) this.#bytes.push(value[i]!);
    return this;
  }

  string(number: number, value: string): this {
    return this.bytes(number, utf8Encoder.encode(value));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  #rawVarint(value: bigint): void {
    let rest = value;
    while (rest >= 0x80n) {
      this.#bytes.push(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.#bytes.push(Number(rest));
  }
}
