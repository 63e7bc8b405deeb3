// The smoke checks runtimes.test.ts runs in every runtime @twofa/otp promises (Node.js, Deno, Bun, Chromium),
// against the package installed from its tarball. Plain JavaScript, so each runtime reads this very file.
// The expected values are data from outside the package: RFC 6238's table (vectors.js, written beside this
// file by the test) and the example key of Google's Key URI format ('Hello!' 0xDEADBEEF in base32).
import {
  buildKeyURI,
  buildMigrationURIs,
  encodeBase32,
  generateSecret,
  generateTOTP,
  parseKeyURI,
  parseMigrationURI,
  verifyTOTP,
} from '@twofa/otp';
import vectors from './vectors.js';

const failures = [];
let checks = 0;

function check(name, actual, expected) {
  checks += 1;
  if (actual !== expected) failures.push(`${name}: expected ${String(expected)}, got ${String(actual)}`);
}

function attempt(name, run) {
  try {
    run();
  } catch (error) {
    checks += 1;
    failures.push(`${name}: threw ${error instanceof Error ? `${error.name}: ${error.message}` : error}`);
  }
}

const hex = (bytes) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
const GOOGLE_EXAMPLE_SECRET_HEX = '48656c6c6f21deadbeef';

attempt('RFC 6238', () => {
  const encoder = new TextEncoder();
  vectors.rows.forEach((row, index) => {
    for (const algorithm of ['SHA1', 'SHA256', 'SHA512']) {
      const secret = encoder.encode(vectors.seedsAscii[algorithm]);
      const options = { secret, algorithm, digits: 8, nowMs: row.timeSeconds * 1000 };
      check(`RFC 6238 row ${index} ${algorithm}`, generateTOTP(options), row[algorithm]);
      const verified = verifyTOTP({ ...options, code: row[algorithm], window: 0 });
      check(`RFC 6238 row ${index} ${algorithm} verifies`, verified.valid && verified.delta, 0);
    }
  });
});

attempt('key URI', () => {
  const parsed = parseKeyURI(
    'otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example',
  );
  check('key URI secret', hex(parsed.secret), GOOGLE_EXAMPLE_SECRET_HEX);
  check('key URI account', parsed.account, 'alice@google.com');
  const secret = generateSecret();
  check('generateSecret length', secret.length, 20);
  const key = {
    type: 'totp',
    secret,
    issuer: 'ACME Co',
    account: 'alice@example.com',
    algorithm: 'SHA256',
    digits: 8,
    periodSeconds: 60,
  };
  const again = parseKeyURI(buildKeyURI(key));
  for (const field of ['type', 'issuer', 'account', 'algorithm', 'digits', 'periodSeconds']) {
    check(`key URI round trip ${field}`, again[field], key[field]);
  }
  check('key URI round trip secret', encodeBase32(again.secret), encodeBase32(secret));
});

attempt('migration payload', () => {
  const [example] = parseMigrationURI(
    'otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC',
  );
  check('migration example secret', hex(example.secret), GOOGLE_EXAMPLE_SECRET_HEX);
  check('migration example issuer', example.issuer, 'Example');
  const keys = [example, { ...example, account: 'bob@example.com', digits: 8, secret: generateSecret() }];
  const uris = buildMigrationURIs(keys, { batchSize: 1 });
  check('migration batches', uris.length, 2);
  const back = uris.flatMap((uri) => parseMigrationURI(uri));
  keys.forEach((key, index) => {
    check(`migration round trip ${index} account`, back[index]?.account, key.account);
    check(`migration round trip ${index} digits`, back[index]?.digits, key.digits);
    check(`migration round trip ${index} secret`, hex(back[index]?.secret ?? []), hex(key.secret));
  });
});

attempt('TOTP now', () => {
  const secret = generateSecret();
  const code = generateTOTP({ secret });
  check('TOTP now verifies', verifyTOTP({ secret, code }).valid, true);
});

console.log(`SMOKE ${JSON.stringify({ checks, failures })}`);
