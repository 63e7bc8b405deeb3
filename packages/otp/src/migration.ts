/**
 * Google Authenticator's "Transfer accounts" QR codes: `otpauth-migration://offline?data=<base64>`, where
 * the data is a protobuf `MigrationPayload`:
 *
 * ```proto
 * message MigrationPayload {
 *   repeated OtpParameters otp_parameters = 1;
 *   int32 version = 2; int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5;
 * }
 * message OtpParameters {
 *   bytes secret = 1; string name = 2; string issuer = 3;
 *   Algorithm algorithm = 4;  // 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5
 *   DigitCount digits = 5;    // 0 unspecified, 1 six, 2 eight
 *   OtpType type = 6;         // 0 unspecified, 1 HOTP, 2 TOTP
 *   uint64 counter = 7;
 * }
 * ```
 */
import { OTPError } from './errors.ts';
import type { Algorithm } from './internal/algorithm.ts';
import { decodeBase64, encodeBase64 } from './internal/base64.ts';
import { describe } from './internal/describe.ts';
import { assertOptionsObject, DEFAULT_PERIOD_SECONDS } from './internal/options.ts';
import {
  decodeUTF8,
  type ProtoField,
  ProtoReader,
  ProtoWriter,
  toInt32,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
} from './internal/protobuf.ts';
import { parseQuery, percentEncode, singleParameter, trimURI } from './internal/uri.ts';
import { checkName, type OTPKey, type OTPKeyInput, splitLabel, validateOTPKey } from './key-uri.ts';

const SCHEME = 'otpauth-migration://';
const HOST = 'offline';
const CODE = 'INVALID_MIGRATION_URI';

// MigrationPayload field numbers.
const PAYLOAD_OTP_PARAMETERS = 1;
const PAYLOAD_VERSION = 2;
const PAYLOAD_BATCH_SIZE = 3;
const PAYLOAD_BATCH_INDEX = 4;
const PAYLOAD_BATCH_ID = 5;
// OtpParameters field numbers.
const OTP_SECRET = 1;
const OTP_NAME = 2;
const OTP_ISSUER = 3;
const OTP_ALGORITHM = 4;
const OTP_DIGITS = 5;
const OTP_TYPE = 6;
const OTP_COUNTER = 7;

/** The payload version Google Authenticator writes. */
const PAYLOAD_VERSION_1 = 1;

const ALGORITHM_VALUES: Record<Algorithm, number> = { SHA1: 1, SHA256: 2, SHA512: 3 };
const DIGITS_VALUES: Record<number, number> = { 6: 1, 8: 2 };
const TYPE_HOTP = 1;
const TYPE_TOTP = 2;

/** Options of {@link buildMigrationURIs}. */
export interface BuildMigrationOptions {
  /**
   * Keys per URI (per QR code). Google Authenticator puts about 10 in each of its own export codes, which
   * keeps every QR code small enough for phone cameras.
   * @default 10
   */
  batchSize?: number;
  /**
   * The `batch_id` shared by all URIs of one export (a 32-bit signed integer), so a reader can tell that
   * codes belong together.
   * @default a random non-negative 31-bit integer
   */
  batchId?: number;
}

/** Google Authenticator's own export codes hold about 10 accounts each. */
export const DEFAULT_MIGRATION_BATCH_SIZE = 10;

/**
 * Reads the keys of one Google Authenticator export QR code (`otpauth-migration://offline?data=...`).
 *
 * Lenient where exports differ in practice: the `data` parameter may be percent-encoded or not, padded or
 * not, and a `+` that arrived as a space (form decoding somewhere on the way) is read as `+`; base64url is
 * accepted too. Unknown protobuf fields are skipped. An entry's `name` of the form `Issuer:account` is split
 * like a key-URI label (the issuer field wins when both are set; a name whose prefix is not the issuer is
 * kept whole as the account). Unspecified algorithm, digits and type mean SHA1, 6 and TOTP; TOTP keys get
 * `periodSeconds: 30`, since the format has no period field.
 *
 * Throws `OTPError`: `INVALID_MIGRATION_URI` (scheme, host, missing or malformed `data`, truncated or
 * over-long protobuf, empty secret or name, unknown type), `UNSUPPORTED_ALGORITHM` (MD5 and unknown
 * values), `INVALID_DIGITS` (anything but six or eight), `INVALID_COUNTER` (an HOTP counter above 2^53-1).
 * Messages name the entry (1-based) and never contain secrets.
 *
 * @example
 * ```ts
 * parseMigrationURI('otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC');
 * // [{ type: 'totp', secret: <JBSWY3DPEHPK3PXP>, account: 'alice@google.com', issuer: 'Example',
 * //    algorithm: 'SHA1', digits: 6, periodSeconds: 30 }]
 * ```
 * @see https://github.com/beemdevelopment/Aegis/blob/master/app/src/main/proto/google_auth.proto (the schema, as reverse-engineered by Aegis)
 */
export function parseMigrationURI(uri: string): OTPKey[] {
  const { text, offset } = trimURI(uri, CODE);
  if (text.slice(0, SCHEME.length).toLowerCase() !== SCHEME) {
    const hint = /^otpauth:/i.test(text) ? ' (this is a single key URI: use parseKeyURI)' : '';
    throw new OTPError(CODE, `URI must start with ${SCHEME}${hint}`);
  }
  const hash = text.indexOf('#');
  if (hash !== -1) throw new OTPError(CODE, `URI has an unencoded '#' at position ${offset + hash}`);
  const question = text.indexOf('?');
  const host = text.slice(SCHEME.length, question === -1 ? text.length : question).replace(/\/$/, '');
  if (host.toLowerCase() !== HOST) throw new OTPError(CODE, `URI host must be ${HOST}`);
  if (question === -1) throw new OTPError(CODE, 'data parameter is missing');
  const parameters = parseQuery(text.slice(question + 1), offset + question + 1, CODE);
  const data = singleParameter(parameters, 'data', CODE);
  if (data === undefined) throw new OTPError(CODE, 'data parameter is missing');
  if (data === '') throw new OTPError(CODE, 'data parameter is empty');
  // A '+' of base64 becomes a space when some tool on the way form-decodes the URI.
  const payload = decodeBase64(data.replaceAll(' ', '+'), CODE, 'data parameter');

  const keys: OTPKey[] = [];
  const reader = new ProtoReader(payload, 'payload');
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    if (field.number === PAYLOAD_OTP_PARAMETERS) {
      expectWireType(field, WIRE_LENGTH_DELIMITED, 'payload', 'otp_parameters');
      keys.push(parseEntry(field.bytes, `entry ${keys.length + 1}`));
    } else if (field.number >= PAYLOAD_VERSION && field.number <= PAYLOAD_BATCH_ID) {
      // Batch bookkeeping: nothing a key needs, but it must be the type the schema says.
      expectWireType(field, WIRE_VARINT, 'payload', `field ${field.number}`);
    }
  }
  return keys;
}

function parseEntry(bytes: Uint8Array, what: string): OTPKey {
  let secret: Uint8Array | undefined;
  let name = '';
  let issuerField = '';
  let algorithmValue = 0;
  let digitsValue = 0;
  let typeValue = 0;
  let counter = 0n;
  const reader = new ProtoReader(bytes, what);
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    switch (field.number) {
      case OTP_SECRET:
        expectWireType(field, WIRE_LENGTH_DELIMITED, what, 'secret');
        secret = field.bytes;
        break;
      case OTP_NAME:
        expectWireType(field, WIRE_LENGTH_DELIMITED, what, 'name');
        name = decodeUTF8(field.bytes, `${what} name`);
        break;
      case OTP_ISSUER:
        expectWireType(field, WIRE_LENGTH_DELIMITED, what, 'issuer');
        issuerField = decodeUTF8(field.bytes, `${what} issuer`);
        break;
      case OTP_ALGORITHM:
        expectWireType(field, WIRE_VARINT, what, 'algorithm');
        algorithmValue = toInt32(field.varint);
        break;
      case OTP_DIGITS:
        expectWireType(field, WIRE_VARINT, what, 'digits');
        digitsValue = toInt32(field.varint);
        break;
      case OTP_TYPE:
        expectWireType(field, WIRE_VARINT, what, 'type');
        typeValue = toInt32(field.varint);
        break;
      case OTP_COUNTER:
        expectWireType(field, WIRE_VARINT, what, 'counter');
        counter = field.varint;
        break;
    }
  }
  if (secret === undefined || secret.length === 0) throw new OTPError(CODE, `${what} has no secret`);

  let issuer: string | undefined;
  let account: string;
  if (issuerField !== '') {
    issuer = issuerField;
    account = name.startsWith(`${issuerField}:`)
      ? name.slice(issuerField.length + 1).replace(/^ +/, '')
      : name;
  } else {
    ({ issuer, account } = splitLabel(name));
  }
  if (account === '') throw new OTPError(CODE, `${what} has no account name`);
  // Google Authenticator stores whatever names it was given; keep colons rather than refuse the export.
  checkName(account, `${what} account`, CODE, { allowColon: true });
  if (issuer !== undefined) checkName(issuer, `${what} issuer`, CODE, { allowColon: true });

  // Type 0 (unspecified) is read as TOTP, the default everywhere else in this format.
  if (typeValue !== 0 && typeValue !== TYPE_HOTP && typeValue !== TYPE_TOTP) {
    throw new OTPError(CODE, `${what} has unknown type ${typeValue} (expected 1 HOTP or 2 TOTP)`);
  }
  const key: OTPKey = {
    type: typeValue === TYPE_HOTP ? 'hotp' : 'totp',
    secret: secret.slice(),
    account,
    algorithm: algorithmFromValue(algorithmValue, what),
    digits: digitsFromValue(digitsValue, what),
  };
  if (issuer !== undefined) key.issuer = issuer;
  if (key.type === 'totp') {
    key.periodSeconds = DEFAULT_PERIOD_SECONDS;
  } else {
    if (counter > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new OTPError('INVALID_COUNTER', `${what} counter is larger than 2^53-1`);
    }
    key.counter = Number(counter);
  }
  return key;
}

function algorithmFromValue(value: number, what: string): Algorithm {
  switch (value) {
    case 0:
    case 1:
      return 'SHA1';
    case 2:
      return 'SHA256';
    case 3:
      return 'SHA512';
    case 4:
      throw new OTPError(
        'UNSUPPORTED_ALGORITHM',
        `${what} uses MD5, which is not supported (use SHA1, SHA256 or SHA512)`,
      );
    default:
      throw new OTPError('UNSUPPORTED_ALGORITHM', `${what} has unknown algorithm value ${value}`);
  }
}

function digitsFromValue(value: number, what: string): number {
  if (value === 0 || value === 1) return 6;
  if (value === 2) return 8;
  throw new OTPError(
    'INVALID_DIGITS',
    `${what} has unknown digits value ${value} (expected 1 for six or 2 for eight)`,
  );
}

function expectWireType(field: ProtoField, wireType: number, what: string, name: string): void {
  if (field.wireType !== wireType) {
    throw new OTPError(
      CODE,
      `${what}: ${name} (field ${field.number}) has wire type ${field.wireType}, expected ${wireType}`,
    );
  }
}

/**
 * Builds Google Authenticator export URIs (`otpauth-migration://offline?data=...`) for `keys`, one URI per
 * `batchSize` keys, in order. Every URI carries version 1, `batch_size` (the number of URIs),
 * `batch_index` (0-based) and the same `batch_id`, as Google Authenticator's own exports do; the base64
 * is padded and percent-encoded. Each entry's name is `Issuer:account` (or `account`), with the issuer
 * also in its own field. No keys gives no URIs.
 *
 * The format is narrower than key URIs. Throws `OTPError`: `INVALID_DIGITS` for digits other than 6 or 8,
 * `INVALID_PERIOD` for a TOTP period other than 30 seconds (the format has no period field), plus
 * everything {@link buildKeyURI} refuses (with code `INVALID_MIGRATION_URI` instead of `INVALID_KEY_URI`;
 * keys take the same defaults and may carry a base32 secret),
 * each message naming the key (`keys[2].digits ...`); `INVALID_OPTION` for a bad `batchSize`/`batchId`.
 *
 * @example
 * ```ts
 * const uris = buildMigrationURIs(keys); // render each as a QR code, scan them in order in the app
 * ```
 * @see https://github.com/beemdevelopment/Aegis/blob/master/app/src/main/proto/google_auth.proto (the schema, as reverse-engineered by Aegis)
 */
export function buildMigrationURIs(
  keys: readonly OTPKeyInput[],
  options: BuildMigrationOptions = {},
): string[] {
  if (!Array.isArray(keys)) throw new OTPError('INVALID_OPTION', 'keys must be an array');
  assertOptionsObject(options);
  const batchSize = options.batchSize ?? DEFAULT_MIGRATION_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new OTPError(
      'INVALID_OPTION',
      `batchSize must be a whole number of at least 1, got ${describe(batchSize)}`,
    );
  }
  const batchId = options.batchId ?? randomBatchId();
  if (!Number.isInteger(batchId) || batchId < -(2 ** 31) || batchId >= 2 ** 31) {
    throw new OTPError('INVALID_OPTION', `batchId must be a 32-bit signed integer, got ${describe(batchId)}`);
  }
  const entries = keys.map((key, index) => encodeEntry(key, `keys[${index}].`));
  const batches = Math.ceil(entries.length / batchSize);
  const uris: string[] = [];
  for (let index = 0; index < batches; index++) {
    const writer = new ProtoWriter();
    for (const entry of entries.slice(index * batchSize, (index + 1) * batchSize)) {
      writer.bytes(PAYLOAD_OTP_PARAMETERS, entry);
    }
    writer
      .varint(PAYLOAD_VERSION, PAYLOAD_VERSION_1)
      .varint(PAYLOAD_BATCH_SIZE, batches)
      .varint(PAYLOAD_BATCH_INDEX, index)
      .varint(PAYLOAD_BATCH_ID, batchId);
    uris.push(`${SCHEME}${HOST}?data=${percentEncode(encodeBase64(writer.finish()))}`);
  }
  return uris;
}

function encodeEntry(key: OTPKeyInput, where: string): Uint8Array {
  const valid = validateOTPKey(key, CODE, where);
  const digits = DIGITS_VALUES[valid.digits];
  if (digits === undefined) {
    throw new OTPError(
      'INVALID_DIGITS',
      `${where}digits must be 6 or 8 in a Google Authenticator export, got ${valid.digits}`,
    );
  }
  if (valid.type === 'totp' && valid.periodSeconds !== DEFAULT_PERIOD_SECONDS) {
    throw new OTPError(
      'INVALID_PERIOD',
      `${where}periodSeconds must be ${DEFAULT_PERIOD_SECONDS} in a Google Authenticator export (it has no period field), got ${valid.periodSeconds}`,
    );
  }
  const writer = new ProtoWriter()
    .bytes(OTP_SECRET, valid.secret)
    .string(OTP_NAME, valid.issuer === undefined ? valid.account : `${valid.issuer}:${valid.account}`);
  if (valid.issuer !== undefined) writer.string(OTP_ISSUER, valid.issuer);
  writer
    .varint(OTP_ALGORITHM, ALGORITHM_VALUES[valid.algorithm])
    .varint(OTP_DIGITS, digits)
    .varint(OTP_TYPE, valid.type === 'hotp' ? TYPE_HOTP : TYPE_TOTP);
  if (valid.type === 'hotp' && valid.counter !== 0) writer.varint(OTP_COUNTER, valid.counter!);
  return writer.finish();
}

function randomBatchId(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1;
}
