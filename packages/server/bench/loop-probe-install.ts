/**
 * Loaded into a server under test with `node --import` by the bench (never by the service): what the server
 * process spent and where its latency could come from. It counts the process's CPU time and its context
 * switches (involuntary: the OS took the CPU away, as happens when the server, its GC threads, the load
 * generator and the kernel's I/O work want more than the machine's cores), keeps an event-loop delay
 * histogram (the time between ticks of a 1 ms timer: longer when a synchronous stretch, a GC pause or the
 * thread being off its CPU holds the loop) and
 * the garbage collector's pauses. On SIGUSR2 it appends what it saw since the last signal as one JSON line to
 * the file named by TWOFA_BENCH_LOOP_PROBE, then starts over (bench/loop-probe.ts).
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const file = process.env.TWOFA_BENCH_LOOP_PROBE;
if (file !== undefined && file !== '') {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let since = { atMs: performance.now(), cpu: process.cpuUsage(), usage: process.resourceUsage() };
  /** Answers so far: each line carries its number, so the bench can pass over a late answer. */
  let seq = 0;
  let gcCount = 0;
  let gcTotalMs = 0;
  let gcMaxMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcCount++;
      gcTotalMs += entry.duration;
      gcMaxMs = Math.max(gcMaxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('SIGUSR2', () => {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const cpu = process.cpuUsage(since.cpu);
    const usage = process.resourceUsage();
    const line = `${JSON.stringify({
      seq: seq++,
      periodMs: Math.round(performance.now() - since.atMs),
      cpuMs: Math.round((cpu.user + cpu.system) / 10) / 100,
      involuntarySwitches: usage.involuntaryContextSwitches - since.usage.involuntaryContextSwitches,
      voluntarySwitches: usage.voluntaryContextSwitches - since.usage.voluntaryContextSwitches,
      delayP50Ms: ms(delay.percentile(50)),
      delayP99Ms: ms(delay.percentile(99)),
      delayMaxMs: ms(delay.max),
      gcCount,
      gcTotalMs: Math.round(gcTotalMs * 100) / 100,
      gcMaxMs: Math.round(gcMaxMs * 100) / 100,
    })}\n`;
    try {
      appendFileSync(file, line);
    } catch {
      // The bench went away (its directory removed): a probe must never take the server down with it.
    }
    since = { atMs: performance.now(), cpu: process.cpuUsage(), usage };
    delay.reset();
    gcCount = 0;
    gcTotalMs = 0;
    gcMaxMs = 0;
  });
}
