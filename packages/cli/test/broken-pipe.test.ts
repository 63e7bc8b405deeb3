/**
 * `twofa code --watch | head -1`: the reader goes away while twofa still writes. That is the normal end of a
 * pipeline, not an error: no stack trace, exit 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { BIN } from './support/cli.ts';

test('a closed pipe ends code --watch quietly', async () => {
  const child = spawn(process.execPath, [BIN, 'code', '-', '--watch', '--period', '1'], { stdio: 'pipe' });
  child.stdin.end('JBSWY3DPEHPK3PXP\n');
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // Read the first line, then close our end, as `head -1` does.
  await new Promise<void>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('\n')) {
        child.stdout.destroy();
        resolve();
      }
    });
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.doesNotMatch(stderr, /EPIPE|Error|\n\s+at /, stderr);
  assert.equal(status, 0);
});
