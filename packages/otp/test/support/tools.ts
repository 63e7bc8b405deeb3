/**
 * Reference tools the tests cross-check against (oathtool, pyotp, zbarimg, chromium), and util-linux `script`
 * (a pseudo-terminal for the CLI's prompts). On a user's machine a
 * missing tool skips the test with a one-line reason; in CI (`TWOFA_REQUIRE_TOOLS=1`, set by .ci/run) a
 * missing tool fails instead, so a broken install step cannot hide behind skips.
 */
import { spawnSync } from 'node:child_process';

/** Debian's python3 (where python3-pyotp installs); a pyenv python3 earlier on PATH lacks the module. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

const probes: Record<string, () => boolean> = {
  oathtool: () => spawnSync('oathtool', ['--version']).status === 0,
  pyotp: () => spawnSync(SYSTEM_PYTHON, ['-c', 'import pyotp']).status === 0,
  zbarimg: () => spawnSync('zbarimg', ['--version']).status === 0,
  chromium: () => spawnSync('/usr/bin/chromium', ['--version']).status === 0,
  script: () => spawnSync('script', ['--version']).status === 0,
};

const debianPackage: Record<string, string> = {
  oathtool: 'oathtool',
  pyotp: 'python3-pyotp',
  zbarimg: 'zbar-tools',
  chromium: 'chromium',
  script: 'bsdutils',
};

const cache = new Map<string, boolean>();

/**
 * `false` when the tool is present; otherwise the skip reason for `test(name, { skip })`.
 * Throws when the tool is missing and `TWOFA_REQUIRE_TOOLS=1`.
 */
export function skipUnlessTool(tool: keyof typeof probes): false | string {
  let present = cache.get(tool);
  if (present === undefined) {
    const probe = probes[tool];
    present = probe ? probe() : false;
    cache.set(tool, present);
  }
  if (present) return false;
  const reason = `${tool} not installed (apt-get install ${debianPackage[tool] ?? tool})`;
  if (process.env.TWOFA_REQUIRE_TOOLS === '1') throw new Error(`required in CI: ${reason}`);
  return reason;
}
