/**
 * Test-side encoders, written independently of @twofa/otp so the CLI is checked against something that does
 * not share its code: RFC 4648 base32, and the Google Authenticator migration protobuf.
 */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 s6 base32, upper case, without padding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

export function randomBytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** One entry of a Google Authenticator export (MigrationPayload.OtpParameters). */
export interface MigrationEntry {
  secret: Uint8Array;
  name: string;
  issuer?: string;
  /** 1 SHA1, 2 SHA256, 3 SHA512 */
  algorithm?: number;
  /** 1 six, 2 eight */
  digits?: number;
  /** 1 HOTP, 2 TOTP */
  type?: number;
  counter?: number;
}

function varint(value: number): number[] {
  const out: number[] = [];
  let n = BigInt(value);
  do {
    let byte = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) byte |= 0x80;
    out.push(byte);
  } while (n > 0n);
  return out;
}

function lengthDelimited(fieldNumber: number, payload: Uint8Array | number[]): number[] {
  return [...varint((fieldNumber << 3) | 2), ...varint(payload.length), ...payload];
}

function integer(fieldNumber: number, value: number): number[] {
  return [...varint(fieldNumber << 3), ...varint(value)];
}

/**
 * `otpauth-migration://offline?data=...` for the entries, laid out as Google Authenticator writes it:
 * repeated otp_parameters = 1, then version = 2, batch_size = 3, batch_index = 4, batch_id = 5.
 */
export function migrationURI(entries: MigrationEntry[], batch = { size: 1, index: 0, id: 12345 }): string {
  const utf8 = new TextEncoder();
  const payload: number[] = [];
  for (const entry of entries) {
    const parameters = [
      ...lengthDelimited(1, entry.secret),
      ...lengthDelimited(2, utf8.encode(entry.name)),
      ...(entry.issuer === undefined ? [] : lengthDelimited(3, utf8.encode(entry.issuer))),
      ...integer(4, entry.algorithm ?? 1),
      ...integer(5, entry.digits ?? 1),
      ...integer(6, entry.type ?? 2),
      ...(entry.counter === undefined ? [] : integer(7, entry.counter)),
    ];
    payload.push(...lengthDelimited(1, parameters));
  }
  payload.push(
    ...integer(2, 1),
    ...integer(3, batch.size),
    ...integer(4, batch.index),
    ...integer(5, batch.id),
  );
  const data = Buffer.from(payload).toString('base64');
  return `otpauth-migration://offline?data=${encodeURIComponent(data)}`;
}

/** The parts of an otpauth:// URI, read with WHATWG URL rather than @twofa/otp. */
export function readKeyURI(uri: string): {
  type: string;
  label: string;
  params: Record<string, string>;
} {
  const url = new URL(uri);
  assertProtocol(url.protocol);
  return {
    type: url.hostname,
    label: decodeURIComponent(url.pathname.slice(1)),
    params: Object.fromEntries(url.searchParams),
  };
}

function assertProtocol(protocol: string): void {
  if (protocol !== 'otpauth:') throw new Error(`not an otpauth:// URI: ${protocol}`);
}

/** `length` bytes from a fixed seed: stable fixtures without committing binary files. */
export function seededBytes(seed: number, length: number): Uint8Array {
  let state = seed >>> 0;
  return Uint8Array.from({ length }, () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state >>> 24;
  });
}
