/**
 * Medians over rounds, ratios against peers of the same run, and the table `npm run bench:server` prints.
 * Ratios compare medians of req/s: this system / bare node:http (the ceiling) and this system / Flask.
 */
import type { Measurement } from './load.ts';
import type { ProbedRound } from './loop-probe.ts';

export interface SystemSummary {
  readonly system: string;
  readonly rounds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Responses by status, summed over rounds. */
  readonly statuses: Record<string, number>;
  /** Rounds that ran out of prepared requests before the duration (the rate is over the shorter time). */
  readonly exhaustedRounds: number;
  readonly vsBare: number | undefined;
  readonly vsFlask: number | undefined;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function summarize(
  measured: ReadonlyMap<string, readonly Measurement[]>,
  bareSystem: string,
  flaskSystem: string,
): SystemSummary[] {
  const rateOf = (system: string) => {
    const rounds = measured.get(system);
    return rounds === undefined || rounds.length === 0
      ? undefined
      : median(rounds.map((m) => m.requestsPerSecond));
  };
  const bare = rateOf(bareSystem);
  const flask = rateOf(flaskSystem);
  return [...measured].map(([system, rounds]) => {
    const requestsPerSecond = median(rounds.map((m) => m.requestsPerSecond));
    const statuses: Record<string, number> = {};
    for (const m of rounds) {
      for (const [status, count] of Object.entries(m.statuses))
        statuses[status] = (statuses[status] ?? 0) + count;
    }
    return {
      system,
      rounds: rounds.length,
      requestsPerSecond,
      p50Ms: median(rounds.map((m) => m.p50Ms)),
      p99Ms: median(rounds.map((m) => m.p99Ms)),
      statuses,
      exhaustedRounds: rounds.filter((m) => m.exhausted).length,
      vsBare: bare === undefined ? undefined : requestsPerSecond / bare,
      vsFlask: flask === undefined ? undefined : requestsPerSecond / flask,
    };
  });
}

/** A Markdown table (it reads as plain text in a terminal and pastes into the README as is). */
export function formatTable(rows: readonly SystemSummary[]): string {
  const header = ['system', 'req/s (median)', 'p50 ms', 'p99 ms', 'statuses', 'x bare http', 'x Flask'];
  const lines = rows.map((row) => [
    row.system + (row.exhaustedRounds > 0 ? ` (ran out ${row.exhaustedRounds}x)` : ''),
    Math.round(row.requestsPerSecond).toLocaleString('en-US'),
    formatMs(row.p50Ms),
    formatMs(row.p99Ms),
    formatStatuses(row.statuses),
    formatRatio(row.vsBare),
    formatRatio(row.vsFlask),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((cells) => (cells[i] ?? '').length)),
  );
  const render = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i === 0 || i === 4 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 || i === 4 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [render(header), rule, ...lines.map(render)].join('\n');
}

/** "303 100%" or "401 99.8%, 429 0.2%". */
export function formatStatuses(statuses: Record<string, number>): string {
  const total = Object.values(statuses).reduce((sum, n) => sum + n, 0);
  if (total === 0) return '-';
  return Object.entries(statuses)
    .sort(([, a], [, b]) => b - a)
    .map(([status, count]) => `${status} ${formatPercent(count / total)}`)
    .join(', ');
}

/** autocannon records whole milliseconds: 0 means under one. */
function formatMs(ms: number): string {
  if (ms === 0) return '<1';
  return Number.isInteger(ms) ? String(ms) : ms.toFixed(1);
}

function formatPercent(share: number): string {
  const percent = share * 100;
  if (percent < 0.1) return '<0.1%';
  return `${percent >= 99.95 ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '-';
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`;
}

/** Idle resident memory per process, before the load and after it, with the ratio to bare node:http. */
export function formatMemory(
  memory: Record<string, { idleRssMbBefore: number | undefined; idleRssMbAfter: number | undefined }>,
): string {
  const bare = memory['bare node:http'];
  const mb = (value: number | undefined) => (value === undefined ? '-' : `${value.toFixed(0)} MB`);
  const ratio = (value: number | undefined, base: number | undefined) =>
    value === undefined || base === undefined ? '' : ` (${(value / base).toFixed(2)}x bare)`;
  return [
    'idle RSS (before the load -> after it):',
    ...Object.entries(memory).map(
      ([name, m]) =>
        `  ${name}: ${mb(m.idleRssMbBefore)}${ratio(m.idleRssMbBefore, bare?.idleRssMbBefore)} -> ` +
        `${mb(m.idleRssMbAfter)}${ratio(m.idleRssMbAfter, bare?.idleRssMbAfter)}`,
    ),
  ].join('\n');
}

/**
 * What the servers' probes saw (bench/loop-probe.ts), medians over the rounds, in the table's row order: CPU
 * time per response (every thread of the server process: the steady measure of what a request costs), how
 * often the OS took a CPU from it, how late its event loop ran (p99 and worst) and its GC pauses.
 */
export function formatLoopSamples(
  samples: ReadonlyMap<string, ReadonlyArray<ProbedRound>>,
  rowOrder: readonly string[],
): string {
  const rows = rowOrder.filter((row) => (samples.get(row)?.length ?? 0) > 0);
  if (rows.length === 0) return '';
  const perSecond = (value: number, sample: ProbedRound) => (1000 * value) / Math.max(1, sample.periodMs);
  const at = (list: ReadonlyArray<ProbedRound>, pick: (sample: ProbedRound) => number, digits = 1) =>
    median(list.map(pick)).toFixed(digits);
  return [
    '',
    'inside each server (medians over rounds): CPU us per response | involuntary context switches per s | ' +
      'event-loop delay p99 / max ms | GC pause max ms | GC ms per s',
    ...rows.map((row) => {
      const list = samples.get(row) ?? [];
      return (
        `  ${row}: ${at(list, (s) => (1000 * s.cpuMs) / Math.max(1, s.responses), 0)} | ` +
        `${at(list, (s) => perSecond(s.involuntarySwitches, s), 0)} | ` +
        `${at(list, (s) => s.delayP99Ms)} / ${at(list, (s) => s.delayMaxMs)} | ${at(list, (s) => s.gcMaxMs)} | ` +
        `${at(list, (s) => perSecond(s.gcTotalMs, s))}`
      );
    }),
  ].join('\n');
}
