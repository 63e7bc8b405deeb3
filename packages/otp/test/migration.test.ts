import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBase32 } from '../src/base32.ts';
import { OTPError, type OTPErrorCode } from '../src/errors.ts';
import type { Algorithm } from '../src/internal/algorithm.ts';
import { decodeBase64, encodeBase64 } from '../src/internal/base64.ts';
import { ProtoReader, ProtoWriter } from '../src/internal/protobuf.ts';
import { buildKeyURI, type OTPKey, parseKeyURI } from '../src/key-uri.ts';
import { buildMigrationURIs, parseMigrationURI } from '../src/migration.ts';
import { type SeededRandom, seededRandom, withSeed } from './support/random.ts';

const KNOWN_DATA = 'CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC';
const KNOWN_URI = `otpauth-migration://offline?data=${KNOWN_DATA}`;
const KNOWN_KEY: OTPKey = {
  type: 'totp',
  secret: decodeBase32('JBSWY3DPEHPK3PXP'),
  account: 'alice@google.com',
  issuer: 'Example',
  algorithm: 'SHA1',
  digits: 6,
  periodSeconds: 30,
};

/** A migration URI around raw payload bytes, encoded the way Google Authenticator does. */
const uriOf = (payload: Uint8Array): string =>
  `otpauth-migration://offline?data=${encodeURIComponent(Buffer.from(payload).toString('base64'))}`;

/** A payload of one entry written field by field, for cases our builder would never produce. */
function entryPayload(write: (entry: ProtoWriter) => void): Uint8Array {
  const entry = new ProtoWriter();
  write(entry);
  return new ProtoWriter().bytes(1, entry.finish()).varint(2, 1).finish();
}

const SECRET = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);

test('the known vector: one TOTP key, JBSWY3DPEHPK3PXP, Example, alice@google.com', () => {
  assert.deepEqual(parseMigrationURI(KNOWN_URI), [KNOWN_KEY]);
});

test('the data parameter is read however it was encoded on the way', () => {
  const random = seededRandom();
  withSeed(random, () => {
    // Find a payload whose base64 has '+', '/' and padding, the characters that get mangled.
    let keys: OTPKey[] = [];
    let base64 = '';
    for (let i = 0; i < 200 && base64 === ''; i++) {
      keys = [{ ...KNOWN_KEY, secret: random.bytes(20) }];
      base64 = Buffer.from(payloadOf(buildMigrationURIs(keys, { batchId: 7 })[0]!)).toString('base64');
      if (!(base64.includes('+') && base64.includes('/') && base64.endsWith('='))) base64 = '';
    }
    assert.notEqual(base64, '', 'found a payload with + / =');
    const variants = [
      encodeURIComponent(base64), // what Google Authenticator writes
      base64, // not percent-encoded at all: '+' is still '+' (RFC 3986, not form encoding)
      base64.replace(/=+$/, ''), // unpadded
      encodeURIComponent(base64).replaceAll('%2B', '%2b'), // lower-case hex
      base64.replaceAll('+', ' '), // a '+' that some tool form-decoded into a space
      base64.replaceAll('+', '%20'),
      base64.replaceAll('+', '-').replaceAll('/', '_'), // base64url
    ];
    for (const data of variants) {
      assert.deepEqual(parseMigrationURI(`otpauth-migration://offline?data=${data}`), keys, data);
    }
  });
});

test('scheme and host in any case, a trailing slash, surrounding whitespace, other parameters', () => {
  for (const uri of [
    `OTPAUTH-MIGRATION://OFFLINE?data=${KNOWN_DATA}`,
    `otpauth-migration://offline/?data=${KNOWN_DATA}`,
    ` otpauth-migration://offline?data=${KNOWN_DATA}\n`,
    `otpauth-migration://offline?foo=bar&data=${KNOWN_DATA}&`,
  ]) {
    assert.deepEqual(parseMigrationURI(uri), [KNOWN_KEY], uri);
  }
});

test('entries: defaults, HOTP counters, algorithms, eight digits, unknown fields skipped', () => {
  const payload = new ProtoWriter()
    .bytes(1, new ProtoWriter().bytes(1, SECRET).string(2, 'plain').finish()) // everything unspecified
    .bytes(
      1,
      new ProtoWriter()
        .bytes(1, SECRET)
        .string(2, 'Bank:bob')
        .string(3, 'Bank')
        .varint(4, 3)
        .varint(5, 2)
        .varint(6, 1)
        .varint(7, 2n ** 53n - 1n)
        .string(8, 'unique-id-from-a-newer-app') // unknown field: skipped
        .finish(),
    )
    .bytes(1, new ProtoWriter().varint(6, 1).bytes(1, SECRET).string(2, 'counter-less').varint(4, 2).finish())
    .varint(2, 1)
    .varint(99, 5) // unknown payload field
    .bytes(100, Uint8Array.of(1, 2))
    .finish();
  // Fixed-width unknown fields too: field 9 as fixed64, field 10 as fixed32.
  const withFixed = Uint8Array.from([
    ...payload,
    (9 << 3) | 1,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    (10 << 3) | 5,
    1,
    2,
    3,
    4,
  ]);
  assert.deepEqual(parseMigrationURI(uriOf(withFixed)), [
    { type: 'totp', secret: SECRET, account: 'plain', algorithm: 'SHA1', digits: 6, periodSeconds: 30 },
    {
      type: 'hotp',
      secret: SECRET,
      account: 'bob',
      issuer: 'Bank',
      algorithm: 'SHA512',
      digits: 8,
      counter: 2 ** 53 - 1,
    },
    { type: 'hotp', secret: SECRET, account: 'counter-less', algorithm: 'SHA256', digits: 6, counter: 0 },
  ]);
});

test('entry names are split like key URI labels', () => {
  const cases: [name: string, issuer: string, expected: { account: string; issuer?: string }][] = [
    ['Example:alice', 'Example', { account: 'alice', issuer: 'Example' }],
    ['Example: alice', 'Example', { account: 'alice', issuer: 'Example' }],
    ['alice', 'Example', { account: 'alice', issuer: 'Example' }],
    ['Example:alice', '', { account: 'alice', issuer: 'Example' }],
    ['alice', '', { account: 'alice' }],
    [':alice', '', { account: 'alice' }],
    // A prefix that is not the issuer is part of the account: nothing is thrown away.
    ['Other:alice', 'Example', { account: 'Other:alice', issuer: 'Example' }],
    ['Ex:user:name', '', { account: 'user:name', issuer: 'Ex' }],
    ['R&D +😀:a b', 'R&D +😀', { account: 'a b', issuer: 'R&D +😀' }],
  ];
  for (const [name, issuer, expected] of cases) {
    const [key] = parseMigrationURI(
      uriOf(
        entryPayload((entry) => {
          entry.bytes(1, SECRET).string(2, name);
          if (issuer !== '') entry.string(3, issuer);
        }),
      ),
    );
    assert.equal(key?.account, expected.account, name);
    assert.equal(key?.issuer, expected.issuer, name);
    // What an export holds can be written out again, as a key URI and as an export.
    assert.ok(key);
    assert.deepEqual(parseKeyURI(buildKeyURI(key)), key, name);
    assert.deepEqual(parseMigrationURI(buildMigrationURIs([key])[0]!), [key], name);
  }
});

test('an empty payload has no keys; no keys build no URIs', () => {
  assert.deepEqual(parseMigrationURI(uriOf(new ProtoWriter().varint(2, 1).finish())), []);
  assert.deepEqual(buildMigrationURIs([]), []);
});

/** The payload bytes of a URI we built (always percent-encoded standard base64). */
function payloadOf(uri: string): Uint8Array {
  const data = decodeURIComponent(uri.slice('otpauth-migration://offline?data='.length));
  return decodeBase64(data, 'INVALID_MIGRATION_URI', 'data');
}

function batchFields(uri: string): {
  version: number;
  batchSize: number;
  batchIndex: number;
  batchId: number;
} {
  const fields = new Map<number, number>();
  const reader = new ProtoReader(payloadOf(uri), 'payload');
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    if (field.number !== 1) fields.set(field.number, Number(BigInt.asIntN(32, field.varint)));
  }
  return {
    version: fields.get(2) ?? 0,
    batchSize: fields.get(3) ?? 0,
    batchIndex: fields.get(4) ?? 0,
    batchId: fields.get(5) ?? 0,
  };
}

test('buildMigrationURIs writes what Google Authenticator writes for the known key', () => {
  const [uri, ...rest] = buildMigrationURIs([KNOWN_KEY], { batchId: 123 });
  assert.deepEqual(rest, []);
  assert.match(uri!, /^otpauth-migration:\/\/offline\?data=[A-Za-z0-9%]+$/);
  assert.deepEqual(parseMigrationURI(uri!), [KNOWN_KEY]);
  assert.deepEqual(batchFields(uri!), { version: 1, batchSize: 1, batchIndex: 0, batchId: 123 });
  // The entry: secret, "Issuer:account" name, issuer, algorithm SHA1, six digits, TOTP.
  const reader = new ProtoReader(payloadOf(uri!), 'payload');
  const entry = new ProtoReader(reader.next()!.bytes, 'entry');
  const fields: [number, string | bigint][] = [];
  for (let field = entry.next(); field !== undefined; field = entry.next()) {
    fields.push([
      field.number,
      field.wireType === 2 ? Buffer.from(field.bytes).toString('latin1') : field.varint,
    ]);
  }
  assert.deepEqual(fields, [
    [1, 'Hello!\xde\xad\xbe\xef'],
    [2, 'Example:alice@google.com'],
    [3, 'Example'],
    [4, 1n],
    [5, 1n],
    [6, 2n],
  ]);
});

test('buildMigrationURIs splits into batches of batchSize (default 10) sharing one batch_id', () => {
  const keys = Array.from({ length: 23 }, (_, i): OTPKey => ({ ...KNOWN_KEY, account: `user${i}` }));
  const uris = buildMigrationURIs(keys);
  assert.equal(uris.length, 3);
  const batches = uris.map(batchFields);
  assert.deepEqual(
    batches.map((b) => [b.version, b.batchSize, b.batchIndex]),
    [
      [1, 3, 0],
      [1, 3, 1],
      [1, 3, 2],
    ],
  );
  assert.equal(new Set(batches.map((b) => b.batchId)).size, 1);
  assert.ok(batches[0]!.batchId >= 0 && batches[0]!.batchId < 2 ** 31);
  assert.deepEqual(
    uris.map((uri) => parseMigrationURI(uri).length),
    [10, 10, 3],
  );
  assert.deepEqual(uris.flatMap(parseMigrationURI), keys);
  // Another export gets another batch id (random: equal by chance with probability 2^-31).
  assert.notEqual(batchFields(buildMigrationURIs(keys)[0]!).batchId, batches[0]!.batchId);
  assert.equal(buildMigrationURIs(keys, { batchSize: 23 }).length, 1);
  assert.equal(buildMigrationURIs(keys, { batchSize: 1 }).length, 23);
  // A negative batch_id (Google Authenticator uses any int32) survives as a 10-byte varint.
  assert.equal(batchFields(buildMigrationURIs(keys, { batchId: -5 })[0]!).batchId, -5);
});

function randomMigrationKey(random: SeededRandom): OTPKey {
  const characters = [...'abcXYZ019 &#?%+=/@.-_~!*()é中😀'];
  const name = (): string => {
    let text = random.pick(characters.filter((c) => c !== ' '));
    for (let i = random.int(0, 20); i > 0; i--) text += random.pick(characters);
    return text;
  };
  const type = random.pick(['totp', 'hotp'] as const);
  const key: OTPKey = {
    type,
    secret: random.bytes(random.pick([10, 16, 20, 32, 64, random.int(1, 100)])),
    account: name(),
    algorithm: random.pick<Algorithm>(['SHA1', 'SHA256', 'SHA512']),
    digits: random.pick([6, 8]),
  };
  if (random.next() < 0.7) key.issuer = name();
  if (type === 'totp') key.periodSeconds = 30;
  else key.counter = random.pick([0, random.int(1, 1000), random.int(0, 2 ** 40), Number.MAX_SAFE_INTEGER]);
  return key;
}

test('seeded random round trips: build -> parse gives the keys back, in order, across batches', () => {
  const random = seededRandom();
  withSeed(random, () => {
    for (let i = 0; i < 200; i++) {
      const keys = Array.from({ length: random.int(1, 25) }, () => randomMigrationKey(random));
      const batchSize = random.int(1, 12);
      const batchId = random.int(-(2 ** 31), 2 ** 31 - 1);
      const uris = buildMigrationURIs(keys, { batchSize, batchId });
      assert.equal(uris.length, Math.ceil(keys.length / batchSize));
      uris.forEach((uri, index) => {
        assert.deepEqual(batchFields(uri), {
          version: 1,
          batchSize: uris.length,
          batchIndex: index,
          batchId,
        });
      });
      assert.deepEqual(uris.flatMap(parseMigrationURI), keys);
    }
  });
});

test('internal base64 agrees with Node Buffer on seeded random bytes', () => {
  const random = seededRandom();
  withSeed(random, () => {
    for (let i = 0; i < 1000; i++) {
      const bytes = random.bytes(random.int(0, 70));
      const expected = Buffer.from(bytes).toString('base64');
      assert.equal(encodeBase64(bytes), expected);
      assert.deepEqual(decodeBase64(expected, 'INVALID_MIGRATION_URI', 'data'), bytes);
      assert.deepEqual(decodeBase64(expected.replace(/=+$/, ''), 'INVALID_MIGRATION_URI', 'data'), bytes);
      assert.deepEqual(
        decodeBase64(Buffer.from(bytes).toString('base64url'), 'INVALID_MIGRATION_URI', 'data'),
        bytes,
      );
    }
  });
});

const key = (overrides: Record<string, unknown>): OTPKey => ({ ...KNOWN_KEY, ...overrides }) as OTPKey;

const unbuildable: [keys: OTPKey[], code: OTPErrorCode, message: RegExp][] = [
  [
    [KNOWN_KEY, key({ digits: 7 })],
    'INVALID_DIGITS',
    /keys\[1\]\.digits must be 6 or 8 in a Google Authenticator export, got 7/,
  ],
  [[key({ digits: 10 })], 'INVALID_DIGITS', /keys\[0\]\.digits must be 6 or 8/],
  [[key({ digits: 5 })], 'INVALID_DIGITS', /keys\[0\]\.digits must be an integer from 6 to 10/],
  [[key({ periodSeconds: 60 })], 'INVALID_PERIOD', /keys\[0\]\.periodSeconds must be 30 .* no period field/],
  [[key({ account: '' })], 'INVALID_MIGRATION_URI', /keys\[0\]\.account must be a non-empty string/],
  [
    [key({ account: 'a:b', issuer: undefined })],
    'INVALID_MIGRATION_URI',
    /keys\[0\]\.account must not contain ':' when there is no issuer/,
  ],
  [[key({ issuer: 'a\nb' })], 'INVALID_MIGRATION_URI', /keys\[0\]\.issuer has a control character/],
  [
    [KNOWN_KEY, KNOWN_KEY, key({ type: 'hotp' })],
    'INVALID_MIGRATION_URI',
    /keys\[2\]\.counter is required for hotp/,
  ],
  [[key({ type: 'hotp', counter: -1 })], 'INVALID_COUNTER', /keys\[0\]\.counter/],
  [[key({ algorithm: 'MD5' })], 'UNSUPPORTED_ALGORITHM', /keys\[0\]\.algorithm must be one of/],
  [[key({ secret: new Uint8Array(0) })], 'INVALID_SECRET', /keys\[0\]\.secret is empty/],
  [[null as unknown as OTPKey], 'INVALID_MIGRATION_URI', /keys\[0\] must be an object/],
];

unbuildable.forEach(([keys, code, message], index) => {
  test(`buildMigrationURIs rejects #${index} with ${code}`, () => {
    assert.throws(
      () => buildMigrationURIs(keys),
      (error: unknown) => {
        assert.ok(error instanceof OTPError, String(error));
        assert.equal(error.code, code, error.message);
        assert.match(error.message, message);
        return true;
      },
    );
  });
});

test('buildMigrationURIs rejects bad options', () => {
  for (const options of [
    { batchSize: 0 },
    { batchSize: 1.5 },
    { batchSize: -1 },
    { batchId: 2 ** 31 },
    { batchId: 0.5 },
  ]) {
    assert.throws(
      () => buildMigrationURIs([KNOWN_KEY], options),
      { code: 'INVALID_OPTION' },
      JSON.stringify(options),
    );
  }
  assert.throws(() => buildMigrationURIs(KNOWN_KEY as unknown as OTPKey[]), { code: 'INVALID_OPTION' });
});

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const entry = (write: (entry: ProtoWriter) => void): Uint8Array => entryPayload(write);

// Payloads that must be refused: wire-level damage first, then entries that make no key.
const malformedPayloads: [name: string, payload: Uint8Array, code: OTPErrorCode, message: RegExp][] = [
  ['truncated varint', bytes(0x10, 0x80), 'INVALID_MIGRATION_URI', /payload: truncated varint at byte 1/],
  ['truncated tag', bytes(0x80), 'INVALID_MIGRATION_URI', /payload: truncated varint at byte 0/],
  [
    'varint over 10 bytes',
    bytes(0x10, ...Array(10).fill(0xff), 0x01),
    'INVALID_MIGRATION_URI',
    /varint at byte 1 is longer than 10 bytes/,
  ],
  [
    'varint past 64 bits',
    bytes(0x10, ...Array(9).fill(0xff), 0x02),
    'INVALID_MIGRATION_URI',
    /overflows 64 bits/,
  ],
  [
    'length past the end',
    bytes(0x0a, 0x05, 0x01),
    'INVALID_MIGRATION_URI',
    /claims 5 bytes but only 1 remain/,
  ],
  ['huge length', bytes(0x0a, ...Array(9).fill(0xff), 0x01), 'INVALID_MIGRATION_URI', /claims \d+ bytes/],
  ['group wire type', bytes(0x0b), 'INVALID_MIGRATION_URI', /unsupported wire type 3/],
  ['wire type 7', bytes(0x0f), 'INVALID_MIGRATION_URI', /unsupported wire type 7/],
  ['field number 0', bytes(0x00, 0x01), 'INVALID_MIGRATION_URI', /invalid field number/],
  ['truncated fixed64', bytes(0x49, 1, 2, 3), 'INVALID_MIGRATION_URI', /field 9 is truncated/],
  [
    'entry as a varint',
    bytes(0x08, 0x01),
    'INVALID_MIGRATION_URI',
    /otp_parameters \(field 1\) has wire type 0, expected 2/,
  ],
  ['version as bytes', bytes(0x12, 0x00), 'INVALID_MIGRATION_URI', /field 2 .* wire type 2, expected 0/],
  [
    'damage inside an entry',
    bytes(0x0a, 0x02, 0x10, 0x80),
    'INVALID_MIGRATION_URI',
    /entry 1: truncated varint/,
  ],
  [
    'secret as a varint',
    entry((e) => e.varint(1, 5).string(2, 'a')),
    'INVALID_MIGRATION_URI',
    /entry 1: secret .* wire type 0/,
  ],
  ['no secret', entry((e) => e.string(2, 'alice')), 'INVALID_MIGRATION_URI', /entry 1 has no secret/],
  [
    'empty secret',
    entry((e) => e.bytes(1, new Uint8Array(0)).string(2, 'alice')),
    'INVALID_MIGRATION_URI',
    /no secret/,
  ],
  ['no name', entry((e) => e.bytes(1, SECRET)), 'INVALID_MIGRATION_URI', /entry 1 has no account name/],
  [
    'issuer only',
    entry((e) => e.bytes(1, SECRET).string(2, 'Example:').string(3, 'Example')),
    'INVALID_MIGRATION_URI',
    /no account name/,
  ],
  [
    'name not UTF-8',
    entry((e) => e.bytes(1, SECRET).bytes(2, bytes(0x61, 0xff))),
    'INVALID_MIGRATION_URI',
    /entry 1 name is not valid UTF-8/,
  ],
  [
    'issuer not UTF-8',
    entry((e) => e.bytes(1, SECRET).string(2, 'a').bytes(3, bytes(0xc3))),
    'INVALID_MIGRATION_URI',
    /issuer is not valid UTF-8/,
  ],
  [
    'control character',
    entry((e) => e.bytes(1, SECRET).string(2, 'a\u001b[2Jb')),
    'INVALID_MIGRATION_URI',
    /control character U\+001B/,
  ],
  [
    'MD5',
    entry((e) => e.bytes(1, SECRET).string(2, 'a').varint(4, 4)),
    'UNSUPPORTED_ALGORITHM',
    /entry 1 uses MD5/,
  ],
  [
    'algorithm 9',
    entry((e) => e.bytes(1, SECRET).string(2, 'a').varint(4, 9)),
    'UNSUPPORTED_ALGORITHM',
    /unknown algorithm value 9/,
  ],
  [
    'algorithm -1',
    entry((e) => e.bytes(1, SECRET).string(2, 'a').varint(4, -1)),
    'UNSUPPORTED_ALGORITHM',
    /value -1/,
  ],
  [
    'digits 3',
    entry((e) => e.bytes(1, SECRET).string(2, 'a').varint(5, 3)),
    'INVALID_DIGITS',
    /unknown digits value 3/,
  ],
  [
    'type 3',
    entry((e) => e.bytes(1, SECRET).string(2, 'a').varint(6, 3)),
    'INVALID_MIGRATION_URI',
    /unknown type 3/,
  ],
  [
    'counter past 2^53',
    entry((e) =>
      e
        .bytes(1, SECRET)
        .string(2, 'a')
        .varint(6, 1)
        .varint(7, 2n ** 53n),
    ),
    'INVALID_COUNTER',
    /counter is larger than 2\^53-1/,
  ],
  [
    'second entry bad',
    Uint8Array.from([
      ...payloadOf(buildMigrationURIs([KNOWN_KEY], { batchId: 1 })[0]!),
      ...entry((e) => e.bytes(1, SECRET)),
    ]),
    'INVALID_MIGRATION_URI',
    /entry 2 has no account name/,
  ],
];

malformedPayloads.forEach(([name, payload, code, message], index) => {
  test(`parseMigrationURI rejects payload #${index}: ${name}`, () => {
    assert.throws(
      () => parseMigrationURI(uriOf(payload)),
      (error: unknown) => {
        assert.ok(error instanceof OTPError, String(error));
        assert.equal(error.code, code, error.message);
        assert.match(error.message, message);
        return true;
      },
    );
  });
});

const malformedURIs: [uri: string, message: RegExp][] = [
  [
    `otpauth://totp/a?secret=JBSWY3DPEHPK3PXP`,
    /must start with otpauth-migration:\/\/ \(this is a single key URI: use parseKeyURI\)/,
  ],
  [`https://offline?data=${KNOWN_DATA}`, /must start with otpauth-migration:\/\//],
  [`otpauth-migration://online?data=${KNOWN_DATA}`, /host must be offline/],
  [`otpauth-migration://offline/x?data=${KNOWN_DATA}`, /host must be offline/],
  ['otpauth-migration://offline', /data parameter is missing/],
  ['otpauth-migration://offline?other=1', /data parameter is missing/],
  ['otpauth-migration://offline?data=', /data parameter is empty/],
  [`otpauth-migration://offline?data=${KNOWN_DATA}&data=${KNOWN_DATA}`, /data parameter appears 2 times/],
  [
    `otpauth-migration://offline?data=${KNOWN_DATA}!`,
    /data parameter: character at position 68 is not base64/,
  ],
  [`otpauth-migration://offline?data=${KNOWN_DATA}A`, /data parameter: 69 base64 symbols cannot be decoded/],
  [`otpauth-migration://offline?data=${KNOWN_DATA}=`, /wrong base64 padding/],
  [`otpauth-migration://offline?data=CjEK=CkhlbGxv`, /padding '=' is followed by data/],
  [
    `otpauth-migration://offline?data=${KNOWN_DATA.slice(0, 40)}`,
    /payload: field 1 at byte 1 claims 49 bytes but only 28 remain/,
  ],
  [
    `otpauth-migration://offline?data=%G1${KNOWN_DATA}`,
    /data parameter has a malformed percent-encoding at position 33/,
  ],
  [`otpauth-migration://offline?data=${KNOWN_DATA}#x`, /unencoded '#'/],
  [`otpauth-migration://offline?data=${KNOWN_DATA}\u0000`, /control character U\+0000/],
  [42 as unknown as string, /URI must be a string/],
];

malformedURIs.forEach(([uri, message], index) => {
  test(`parseMigrationURI rejects URI #${index}: ${JSON.stringify(uri).slice(0, 70)}`, () => {
    assert.throws(
      () => parseMigrationURI(uri),
      (error: unknown) => {
        assert.ok(error instanceof OTPError, String(error));
        assert.equal(error.code, 'INVALID_MIGRATION_URI', error.message);
        assert.match(error.message, message);
        // The base64 data encodes the secrets: no message repeats it.
        assert.ok(!error.message.includes(KNOWN_DATA.slice(0, 12)), error.message);
        return true;
      },
    );
  });
});
