/**
 * Bad input never makes a 500: random JSON bodies (wrong types, deep nesting, odd strings, prototype keys),
 * bodies that are not JSON, odd content types, subject ids and Idempotency-Keys, sent to every operation.
 * Each answer must be declared by the OpenAPI document (the contract check) and below 500. The generator is
 * seeded (TWOFA_FUZZ_SEED to repeat a run); a failure names the seed and the request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ApiTestApp, enrollSubject, makeApiTestApp } from '../support/api.ts';
import { DIALECTS } from '../support/dialects.ts';

const SEED = Number(process.env.TWOFA_FUZZ_SEED ?? 20311101);
const CASES_PER_OPERATION = 60;

/** mulberry32: small, seeded, good enough to pick shapes. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

const STRINGS = [
  '',
  '123456',
  '12345',
  '1234567',
  '１２３４５６',
  '000000',
  'abcd-efgh-jkmn-pqrs',
  'ABCDEFGHJKMNPQRS',
  ' 123 456 ',
  '\u0000',
  '\ud800',
  'a'.repeat(5000),
  '<script>alert(1)</script>',
  "'; drop table users; --",
  '../../etc/passwd',
  'otpauth://totp/x?secret=AAAA',
  'totp',
  'recovery',
  'null',
  '🙂'.repeat(40),
  'a:b',
];

function randomValue(g: ReturnType<typeof generator>, depth = 0): unknown {
  switch (g.int(depth > 3 ? 5 : 8)) {
    case 0:
      return g.pick(STRINGS);
    case 1:
      return g.pick([0, -1, 1e308, -0, 123456, 2 ** 53 + 1, 0.5]);
    case 2:
      return g.pick([true, false, null]);
    case 3:
      return String(g.int(1_000_000)).padStart(6, '0');
    case 4:
      return g.pick(STRINGS) + g.pick(STRINGS);
    case 5:
      return Array.from({ length: g.int(4) }, () => randomValue(g, depth + 1));
    default:
      return randomObject(g, depth + 1);
  }
}

function randomObject(g: ReturnType<typeof generator>, depth = 0): Record<string, unknown> {
  const keys = ['code', 'factor', 'accountName', 'issuer', '__proto__', 'constructor', 'extra', 'toString'];
  const out: Record<string, unknown> = {};
  for (let i = g.int(4); i >= 0; i--) {
    Object.defineProperty(out, g.pick(keys), {
      value: randomValue(g, depth),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  return out;
}

function randomBody(g: ReturnType<typeof generator>): { body: unknown; raw: boolean; contentType?: string } {
  switch (g.int(6)) {
    case 0:
      return {
        body: g.pick(['{', '{"code": }', 'null', '[]', '"x"', '', '{"code":"1"}{', '\u0000']),
        raw: true,
      };
    case 1:
      return { body: randomValue(g), raw: false };
    case 2:
      return {
        body: JSON.stringify(randomObject(g)),
        raw: true,
        contentType: g.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=latin1',
        ]),
      };
    default:
      return { body: randomObject(g), raw: false };
  }
}

const SUBJECTS = ['fuzzed', 'nobody', '%00', '..%2F..', 'a%20b', 'x'.repeat(129), '%F0%9F%99%82', '%ZZ'];

for (const dialect of DIALECTS) {
  describe(`API fuzz (${dialect.name}, seed ${SEED})`, () => {
    let t: ApiTestApp;
    before(async () => {
      t = await makeApiTestApp({ dialect });
      await enrollSubject(t, 'fuzzed');
    });
    after(() => t.close());

    const operations = [
      ['POST', 'enrollments/totp'],
      ['POST', 'enrollments/some-id/confirm'],
      ['POST', 'verify'],
      ['GET', 'factors'],
      ['DELETE', 'factors/totp'],
      ['DELETE', 'factors/nope'],
      ['POST', 'recovery-codes'],
      ['GET', 'events?limit=x'],
    ] as const;

    for (const [index, [method, suffix]] of operations.entries()) {
      test(`${method} .../${suffix}: no 500 for any of ${CASES_PER_OPERATION} random requests`, async () => {
        const g = generator(SEED + index);
        for (let i = 0; i < CASES_PER_OPERATION; i++) {
          const subject = g.next() < 0.7 ? 'fuzzed' : g.pick(SUBJECTS);
          const path = `/api/v1/subjects/${subject}/${suffix}`;
          const { body, raw, contentType } = randomBody(g);
          const headers: Record<string, string> = {};
          if (contentType !== undefined) headers['Content-Type'] = contentType;
          if (g.next() < 0.3)
            headers['Idempotency-Key'] = g.pick(['k', 'é', ' ', 'x'.repeat(300), String(i)]);
          const where = `seed ${SEED + index}, case ${i}: ${method} ${path} ${raw ? String(body) : JSON.stringify(body)}`;
          let res: Awaited<ReturnType<ApiTestApp['call']>>;
          try {
            // A GET request cannot carry a body (fetch refuses to build one).
            res = await t.call(method, path, method === 'GET' ? { headers } : { body, raw, headers });
          } catch (error) {
            assert.fail(`${where}\n${(error as Error).message}`);
          }
          assert.ok(res.status < 500, `${where} -> ${res.status} ${res.text}`);
          if (res.status >= 400)
            assert.equal(typeof res.json?.error?.code, 'string', `${where} -> ${res.text}`);
          // The fuzzed subject must keep its factors whatever was sent (removing them is a valid request, so
          // put them back for the next case).
          if (method === 'DELETE' && res.status === 204) await enrollSubject(t, subject);
        }
        assert.ok(!t.logs.some((line) => line.includes('"event":"error"')), 'no fault logged');
      });
    }
  });
}
