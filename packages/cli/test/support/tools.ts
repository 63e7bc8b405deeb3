/** Reference tools for cross-checks; the skip rule is shared with @twofa/otp's tests. */
import { spawnSync } from 'node:child_process';

export { skipUnlessTool } from '../../../otp/test/support/tools.ts';

/** `oathtool ...args`: its stdout, trimmed; throws with its stderr when it fails. */
export function oathtool(args: string[]): string {
  const result = spawnSync('oathtool', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`oathtool ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** The text of the QR code(s) in an image, one per line, as `zbarimg -q --raw` reads them. */
export function zbarimg(path: string): string {
  const result = spawnSync('zbarimg', ['-q', '--raw', path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`zbarimg could not read ${path} (exit ${result.status})`);
  return result.stdout.replace(/\n$/, '');
}
