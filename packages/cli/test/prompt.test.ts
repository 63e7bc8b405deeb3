/** The hidden prompt for a secret typed at a terminal (`twofa code -` with no pipe). */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { ReadStream } from 'node:tty';
import { readHiddenLine } from '../src/prompt.ts';

class FakeTerminal extends EventEmitter {
  raw = false;
  rawChanges: boolean[] = [];
  setRawMode(on: boolean) {
    this.raw = on;
    this.rawChanges.push(on);
    return this;
  }
  setEncoding() {
    return this;
  }
  resume() {
    return this;
  }
  pause() {
    return this;
  }
}

async function typeInto(
  keys: string[],
): Promise<{ value: string | undefined; shown: string; terminal: FakeTerminal }> {
  const terminal = new FakeTerminal();
  let shown = '';
  const pending = readHiddenLine(terminal as unknown as ReadStream, (text) => (shown += text), 'Secret');
  for (const key of keys) terminal.emit('data', key);
  const value = await pending;
  return { value, shown, terminal };
}

test('Enter ends the line; nothing typed is echoed; raw mode is restored', async () => {
  const { value, shown, terminal } = await typeInto(['JBSW', 'Y3DP', '\r']);
  assert.equal(value, 'JBSWY3DP');
  assert.doesNotMatch(shown, /JBSW/);
  assert.match(shown, /^Secret \(not shown/);
  assert.deepEqual(terminal.rawChanges, [true, false]);
  assert.equal(terminal.listenerCount('data'), 0);
});

test('Backspace removes the last character; Ctrl-C gives up', async () => {
  assert.equal((await typeInto(['ABX', '\u007f', 'C\n'])).value, 'ABC');
  const cancelled = await typeInto(['AB', '\u0003']);
  assert.equal(cancelled.value, undefined);
  assert.deepEqual(cancelled.terminal.rawChanges, [true, false]);
});
