import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  generateHOTP,
  generateTOTP,
  normalizeCode,
  prepareTOTP,
  resyncHOTP,
  verifyHOTP,
  verifyTOTP,
} from '../src/index.ts';

const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // RFC 4226 appendix D: '12345678901234567890'

test('normalizeCode: spaces, hyphens and full-width forms as people type them become ASCII digits', () => {
  const cases: [typed: string, digits: string][] = [
    ['692147', '692147'],
    ['692 147', '692147'],
    ['692-147', '692147'],
    [' 692 147\n', '692147'],
    ['69 21 47', '692147'],
    ['692\u00a0147', '692147'], // no-break space (copied from a web page)
    ['692\u3000147', '692147'], // ideographic (full-width) space
    ['692\u2011147', '692147'], // non-breaking hyphen, NFKC U+2010
    ['６９２－１４７', '692147'], // full-width digits and hyphen-minus
    ['１２３４５６７８', '12345678'],
  ];
  for (const [typed, digits] of cases) assert.equal(normalizeCode(typed), digits, JSON.stringify(typed));
});

test('normalizeCode leaves everything else alone, so the verifier still refuses it', () => {
  for (const typed of ['12a456', '123.456', '123_456', '+123456', '١٢٣٤٥٦', '']) {
    // Arabic-Indic digits are not compatibility forms of ASCII digits: NFKC keeps them.
    assert.equal(normalizeCode(typed), typed, JSON.stringify(typed));
  }
  assert.throws(() => normalizeCode(123456 as unknown as string), {
    code: 'INVALID_OPTION',
    message: /^INVALID_OPTION: code must be a string of digits, got a number$/,
  });
  // Nor does any verifier echo a code given as a number: it may be valid for a few more seconds.
  for (const call of [
    () => verifyTOTP({ secret, code: 287082 as unknown as string, nowMs: 59_000 }),
    () => verifyHOTP({ secret, code: 287082 as unknown as string, counter: 1 }),
    () => resyncHOTP({ secret, codes: ['287082', 359152 as unknown as string], counter: 0 }),
  ]) {
    assert.throws(call, (error: unknown) => {
      assert.ok(
        error instanceof Error && !error.message.includes('287082') && !error.message.includes('359152'),
      );
      assert.match(
        error.message,
        /^INVALID_OPTION: codes?(\[1\])? must be a string of digits, got a number$/,
      );
      return true;
    });
  }
});

test('the verify functions apply normalizeCode to what the user typed', () => {
  const nowMs = 59_000;
  const code = generateTOTP({ secret, nowMs }); // '287082'
  const grouped = `${code.slice(0, 3)} ${code.slice(3)}`;
  const fullWidth = String.fromCharCode(...[...code].map((c) => c.charCodeAt(0) + 0xfee0));
  for (const typed of [grouped, `${code.slice(0, 3)}-${code.slice(3)}`, fullWidth, ` ${code} `]) {
    assert.equal(verifyTOTP({ secret, code: typed, nowMs }).valid, true, typed);
    assert.equal(prepareTOTP({ secret }).verify({ code: typed, nowMs }).valid, true, typed);
  }
  const wrong = String((Number(code) + 1) % 1e6).padStart(6, '0');
  assert.deepEqual(verifyTOTP({ secret, code: `${wrong.slice(0, 3)} ${wrong.slice(3)}`, nowMs }), {
    valid: false,
  });

  const hotp = generateHOTP({ secret, counter: 3 }); // '969429'
  assert.deepEqual(verifyHOTP({ secret, code: `${hotp.slice(0, 3)} ${hotp.slice(3)}`, counter: 3 }), {
    valid: true,
    counter: 3,
    delta: 0,
  });
  const [a, b] = [generateHOTP({ secret, counter: 8 }), generateHOTP({ secret, counter: 9 })];
  assert.deepEqual(resyncHOTP({ secret, counter: 0, codes: [` ${a}`, `${b.slice(0, 3)}-${b.slice(3)}`] }), {
    valid: true,
    counter: 9,
    delta: 9,
  });
});

test('a long "code" is refused without normalising it (no NFKC over a megabyte)', () => {
  const nowMs = 59_000;
  const code = generateTOTP({ secret, nowMs });
  const padded = `${' '.repeat(40)}${code}`;
  assert.deepEqual(verifyTOTP({ secret, code: padded, nowMs }), { valid: false });
  assert.deepEqual(verifyTOTP({ secret, code: '1'.repeat(1_000_000), nowMs }), { valid: false });
});
