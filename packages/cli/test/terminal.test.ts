/**
 * What a person at a terminal sees: `code --watch` redrawing in place with a countdown bar, QR codes drawn
 * in the terminal, colour only on a terminal and never with NO_COLOR. Run in-process with a fake clock, so
 * no test waits for real seconds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../src/run.ts';
import { memoryIO } from './support/memory-io.ts';

const SECRET = 'JBSWY3DPEHPK3PXP';
/** From oathtool --totp -b --now @T JBSWY3DPEHPK3PXP, T = 1700000010, 1700000040, 1700000070. */
const CODE = '367665';
const NEXT_CODE = '870960';
const THIRD_CODE = '656781';
/** 1700000010 = 56666667 * 30: the clock starts half a second into that step, 30 s (rounded up) left. */
const START_MS = 1_700_000_010_500;
const ESC = '\x1b';
/** An SGR colour sequence (built from ESC: Biome rightly flags control characters in regex literals). */
const COLOR = new RegExp(`${ESC}\\[(?:2|3\\d)m`);
const ANY_SGR = new RegExp(`${ESC}\\[[\\d;]*m`, 'g');

/** The frames a --watch run drew: the text after each `\r` + erase-line. */
function frames(stdout: string): string[] {
  return stdout.split('\r\x1b[2K').slice(1);
}

test('code --watch redraws the code and a shrinking bar once a second, then stops on Ctrl-C', async () => {
  const memory = memoryIO({
    isTTY: true,
    startMs: START_MS,
    stopAfterSleeps: 31,
    env: { TWOFA_SECRET: SECRET },
  });
  const status = await run(['code', '--watch'], memory.io);
  assert.equal(status, 0);
  assert.equal(memory.stderr(), '');
  const out = memory.stdout();
  assert.ok(out.startsWith('\x1b[?25l'), 'hides the cursor while drawing');
  assert.ok(out.endsWith('\n\x1b[?25h'), 'ends the line and shows the cursor again');
  const shown = frames(out.slice(0, -'\n\x1b[?25h'.length)).map((frame) => frame.replace(ANY_SGR, ''));
  assert.equal(shown.length, 31);
  // First frame: 30 s left, the bar full.
  assert.equal(shown[0], `367 665  ${'█'.repeat(30)} 30s`);
  // Ten seconds later: 20 s left, two thirds full.
  assert.equal(shown[10], `367 665  ${'█'.repeat(20)}${'░'.repeat(10)} 20s`);
  assert.equal(shown[29], `367 665  ${'█'.repeat(1)}${'░'.repeat(29)}  1s`);
  // The step turns over: the next code, the bar full again.
  assert.equal(shown[30], `870 960  ${'█'.repeat(30)} 30s`);
  assert.ok(shown.slice(0, 30).every((frame) => frame.startsWith(`${CODE.slice(0, 3)} ${CODE.slice(3)}`)));
  assert.ok(shown[30]!.startsWith(`${NEXT_CODE.slice(0, 3)} `));
  assert.ok(!out.includes(SECRET));
});

test('code --watch wakes on second boundaries, not every 1000 ms from an arbitrary start', async () => {
  const memory = memoryIO({
    isTTY: true,
    startMs: START_MS,
    stopAfterSleeps: 3,
    env: { TWOFA_SECRET: SECRET },
  });
  await run(['code', '--watch'], memory.io);
  assert.deepEqual(memory.sleeps, [500, 1000, 1000]);
});

test('code --watch colours the bar green, then yellow, then red; NO_COLOR turns colour off', async () => {
  const coloured = memoryIO({
    isTTY: true,
    startMs: START_MS,
    stopAfterSleeps: 30,
    env: { TWOFA_SECRET: SECRET },
  });
  await run(['code', '--watch'], coloured.io);
  const drawn = frames(coloured.stdout());
  assert.ok(drawn[0]!.includes(`${ESC}[32m█`), '30 s left: green');
  assert.ok(drawn[22]!.includes(`${ESC}[33m█`), '8 s left: yellow');
  assert.ok(drawn[27]!.includes(`${ESC}[31m█`), '3 s left: red');

  const plain = memoryIO({
    isTTY: true,
    startMs: START_MS,
    stopAfterSleeps: 30,
    env: { TWOFA_SECRET: SECRET, NO_COLOR: '1' },
  });
  await run(['code', '--watch'], plain.io);
  assert.doesNotMatch(plain.stdout(), COLOR);
  assert.equal(frames(plain.stdout()).length, 30, 'still redraws in place');
});

test('code --watch shows which account the code is for when the key has names', async () => {
  const memory = memoryIO({
    isTTY: true,
    startMs: START_MS,
    stopAfterSleeps: 1,
    env: { TWOFA_SECRET: `otpauth://totp/Example:alice?secret=${SECRET}&issuer=Example` },
  });
  await run(['code', '--watch'], memory.io);
  assert.match(frames(memory.stdout())[0]!, /^Example \(alice\) {2}367 665 /);
});

test('code --watch keeps its line narrower than the terminal, or each redraw would wrap and scroll', async () => {
  const uri = `otpauth://totp/Example:alice@example.com?secret=${SECRET}&issuer=Example`;
  for (const columns of [80, 50, 30, 16]) {
    const memory = memoryIO({
      isTTY: true,
      startMs: START_MS,
      stopAfterSleeps: 3,
      env: { TWOFA_SECRET: uri },
    });
    memory.io.terminalColumns = () => columns;
    await run(['code', '--watch'], memory.io);
    for (const frame of frames(memory.stdout()).map((text) => text.replace(ANY_SGR, '').split('\n')[0]!)) {
      assert.ok(frame.length < columns, `${columns} columns: ${JSON.stringify(frame)}`);
      assert.match(frame, /367 665 .*\d+s$/, `${columns} columns: the code and the seconds left stay`);
    }
  }
});

test('code --watch on a pipe prints each new code once, on its own line', async () => {
  const memory = memoryIO({
    isTTY: false,
    startMs: START_MS,
    stopAfterSleeps: 61,
    env: { TWOFA_SECRET: SECRET },
  });
  assert.equal(await run(['code', '--watch'], memory.io), 0);
  // 61 wakes from 0.5 s into the step: this step, the next, and the first second of the one after.
  assert.equal(memory.stdout(), `${CODE}\n${NEXT_CODE}\n${THIRD_CODE}\n`);
  assert.ok(!memory.stdout().includes(ESC));
});

test('code --watch stops at once when the stop signal has already fired', async () => {
  const memory = memoryIO({
    isTTY: true,
    startMs: START_MS,
    stopAfterSleeps: 0,
    env: { TWOFA_SECRET: SECRET },
  });
  assert.equal(await run(['code', '--watch'], memory.io), 0);
  assert.equal(memory.sleeps.length, 0);
});

test('keygen on a terminal draws the QR code: coloured cells, or plain blocks with NO_COLOR', async () => {
  const args = ['keygen', '--issuer', 'Example', '--account', 'alice'];
  const coloured = memoryIO({ isTTY: true });
  assert.equal(await run(args, coloured.io), 0);
  assert.match(coloured.stdout(), /^Secret: .*\nURI: {4}otpauth:\/\/.*\n\n/);
  assert.ok(
    coloured.stdout().includes(`${ESC}[30;47m`),
    'black on white cells read on any terminal background',
  );
  assert.match(coloured.stdout(), /Scan the code with an authenticator app/);

  const plain = memoryIO({ isTTY: true, env: { NO_COLOR: '1' } });
  await run(args, plain.io);
  assert.ok(!plain.stdout().includes(ESC));
  assert.match(plain.stdout(), /[█▀▄]/);

  const piped = memoryIO({ isTTY: false });
  await run(args, piped.io);
  assert.equal(piped.stdout().split('\n').length, 3, 'on a pipe: the secret and URI lines only');
});

test('verify colours valid and invalid on a terminal only', async () => {
  const env = { TWOFA_SECRET: SECRET };
  const tty = memoryIO({ isTTY: true, startMs: 1_700_000_010_000, env });
  assert.equal(await run(['verify', CODE], tty.io), 0);
  assert.equal(tty.stdout(), '\x1b[32mvalid (delta 0)\x1b[0m\n');
  const noColor = memoryIO({ isTTY: true, startMs: 1_700_000_010_000, env: { ...env, NO_COLOR: 'yes' } });
  assert.equal(await run(['verify', NEXT_CODE, '--window', '0'], noColor.io), 1);
  assert.equal(noColor.stdout(), 'invalid\n');
});

test('run turns an unexpected failure into one line and exit 2', async () => {
  const memory = memoryIO();
  memory.io.stdin.read = async () => {
    throw new Error('stdin exploded');
  };
  assert.equal(await run(['code', '-'], memory.io), 2);
  assert.equal(memory.stderr(), 'twofa: unexpected error: stdin exploded (run with --debug for details)\n');
});
