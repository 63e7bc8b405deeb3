import { spawnSync } from 'node:child_process';

/**
 * HMAC-SHA1 operations per second that `openssl speed -hmac sha1` reaches on 16-byte blocks on this
 * machine (its figure is in 1000s of bytes per second), or undefined when openssl is missing.
 */
export function opensslHMACRate(): number | undefined {
  const run = spawnSync('openssl', ['speed', '-hmac', 'sha1', '-seconds', '1', '-bytes', '16'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status !== 0 || typeof run.stdout !== 'string') return undefined;
  const match = /^hmac\(sha1\)\s+([\d.]+)k/m.exec(run.stdout);
  if (!match) return undefined;
  return (Number(match[1]) * 1000) / 16;
}
