/**
 * CPU time of processes (Linux /proc), to say where a benchmark's time went: the worker, the
 * carrier emulator, this process, PostgreSQL backends serving the benchmark's own database and
 * the Redis server (shared: other work on the machine shows up there too).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** user + system CPU of one process so far (ms); 0 if it is gone. */
export const processCpuMs = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
};

const matchingPids = (needle: string): number[] => {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) pids.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
};

/**
 * CPU of processes whose command line contains `needle` (e.g. `postgres: … <dbname>`), as a
 * running total: sampled every 200 ms per pid, so a process that exits (a pooled connection
 * closed when idle) keeps what it used up to its last sample. Call `stop()` when done.
 */
export const matchingCpuMs = (needle: string): (() => number) & { stop(): void } => {
  const last = new Map<number, number>();
  let done = 0; // CPU of processes already gone
  const sample = (): number => {
    const seen = new Set<number>();
    for (const pid of matchingPids(needle)) {
      const ms = processCpuMs(pid);
      if (ms > 0) last.set(pid, ms);
      seen.add(pid);
    }
    for (const [pid, ms] of last) {
      if (!seen.has(pid)) {
        done += ms;
        last.delete(pid);
      }
    }
    return done + [...last.values()].reduce((a, b) => a + b, 0);
  };
  const timer = setInterval(sample, 200);
  timer.unref();
  return Object.assign(sample, { stop: () => clearInterval(timer) });
};

export type CpuProbe = Record<string, () => number>;

/** Starts a window over `probes`; `end()` gives each probe's CPU ms spent inside it. */
export const cpuWindow = (probes: CpuProbe) => {
  const start = Object.fromEntries(Object.entries(probes).map(([k, f]) => [k, f()]));
  return {
    end: (): Record<string, number> => Object.fromEntries(Object.entries(probes).map(([k, f]) => [k, Math.max(0, f() - start[k]!)])),
  };
};
