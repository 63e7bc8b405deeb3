/**
 * Emulated cores for the scaling rows. On a machine whose cores the load generator, PostgreSQL and the
 * service all share (2 here), `--workers 2` or a second instance cannot gain: every core is already busy,
 * so the ratio measures the machine, not the worker model. A Linux cgroup CPU quota gives each system under
 * test exactly N x `share` of a core for N processes (workers or instances), leaving the rest of the machine
 * to the load generator and the database: N processes then gain over one only if nothing in twofa (a lock,
 * a shared row, the database) keeps them from working side by side, which is what the rows are for.
 *
 * Needs a writable cgroup CPU controller (v2 `cpu.max`, or v1 `cpu.cfs_quota_us`), as root in most
 * containers; without one the rows run unconstrained and the run says so.
 */
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const V2_ROOT = '/sys/fs/cgroup';
const V1_ROOT = '/sys/fs/cgroup/cpu';
/** CFS period in microseconds: 20 ms rather than the default 100, so a throttled process waits in short slices. */
const PERIOD_US = 20_000;

export interface CpuGroup {
  /** A command line that enters the group before it runs `command` (so its children inherit the group). */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Removes the group (its processes must have exited). */
  remove(): void;
}

/** Which cgroup layout can be written here, or why none can. */
function layout(): { kind: 'v2' | 'v1'; root: string } | { unavailable: string } {
  if (process.platform !== 'linux') return { unavailable: 'cgroups are Linux only' };
  if (existsSync(join(V2_ROOT, 'cgroup.controllers'))) return probe('v2', V2_ROOT);
  if (existsSync(join(V1_ROOT, 'cpu.cfs_quota_us'))) return probe('v1', V1_ROOT);
  return { unavailable: 'no cgroup CPU controller is mounted' };
}

function probe(kind: 'v2' | 'v1', root: string) {
  const dir = join(root, `twofa-bench-probe-${process.pid}`);
  try {
    mkdirSync(dir);
    rmdirSync(dir);
    return { kind, root };
  } catch (error) {
    return { unavailable: `cannot create a cgroup under ${root} (${(error as NodeJS.ErrnoException).code})` };
  }
}

/** Undefined when quotas can be set here, else the reason they cannot. */
export function cpuQuotaUnavailable(): string | undefined {
  const found = layout();
  return 'unavailable' in found ? found.unavailable : undefined;
}

/** A new cgroup limited to `cores` CPUs (e.g. 0.6 = 60% of one core, however many threads use it). */
export function createCpuGroup(name: string, cores: number): CpuGroup {
  const found = layout();
  if ('unavailable' in found) throw new Error(`CPU quota: ${found.unavailable}`);
  const dir = join(found.root, `twofa-bench-${process.pid}-${name}`);
  mkdirSync(dir);
  const quotaUs = Math.max(1000, Math.round(cores * PERIOD_US));
  if (found.kind === 'v2') {
    writeFileSync(join(dir, 'cpu.max'), `${quotaUs} ${PERIOD_US}`);
  } else {
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
  }
  const procs = join(dir, 'cgroup.procs');
  return {
    wrap(command, args) {
      // The shell moves itself into the group, then execs the command: everything it forks stays inside.
      return {
        command: '/bin/sh',
        args: ['-c', `echo $$ > '${procs}' && exec "$@"`, 'sh', command, ...args],
      };
    },
    remove() {
      try {
        rmdirSync(dir);
      } catch {
        // A process still in it (a stop that timed out): the kernel keeps the empty group; nothing to undo.
      }
    },
  };
}
