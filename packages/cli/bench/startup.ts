/**
 * `npm run bench -w @twofa/cli [-- TWOFA_BIN]`: how long `twofa code` takes from start to exit, beside a bare
 * `node -e 0` and beside loading @twofa/server (what `twofa code` would also pay were the server not loaded
 * lazily). Runs are interleaved round-robin, so a busy machine slows every command alike; medians and
 * ratios to `node -e 0` are printed. TWOFA_BIN defaults to this workspace's bin (TypeScript sources, types
 * stripped at each start); pass an installed one (node_modules/.bin/twofa from the tarballs) for what users get.
 */
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.env.BENCH_RUNS ?? 30);
const bin = realpathSync(process.argv[2] ?? fileURLToPath(new URL('../bin/twofa.js', import.meta.url)));
// @twofa/server as twofa serve resolves it: from the cli package's own directory.
const cliDir = dirname(dirname(bin));

const commands: { name: string; args: string[]; cwd?: string }[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'twofa code', args: [bin, 'code', '--time', '59'] },
  { name: 'twofa --version', args: [bin, '--version'] },
  {
    name: "import('@twofa/server') (not paid by code)",
    args: ['--input-type=module', '-e', "await import('@twofa/server')"],
    cwd: cliDir,
  },
];

const env = { ...process.env, TWOFA_SECRET: 'JBSWY3DPEHPK3PXP' };
const samples = commands.map(() => [] as number[]);
for (let round = -2; round < runs; round++) {
  commands.forEach((command, index) => {
    const start = performance.now();
    const result = spawnSync(process.execPath, command.args, {
      cwd: command.cwd ?? cliDir,
      env,
      stdio: 'ignore',
    });
    const ms = performance.now() - start;
    if (result.status !== 0) throw new Error(`${command.name} exited ${result.status}`);
    if (round >= 0) samples[index]?.push(ms); // the first two rounds warm the disk cache
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const base = median(samples[0]!);
console.log(`twofa start-up: node ${process.version}, ${runs} interleaved runs, medians; bin ${bin}`);
commands.forEach((command, index) => {
  const ms = median(samples[index]!);
  console.log(
    `  ${command.name.padEnd(44)} ${ms.toFixed(0).padStart(5)} ms  ${(ms / base).toFixed(1)}x node -e 0`,
  );
});
console.log(
  `  load average: ${loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')} (1, 5, 15 min)`,
);
