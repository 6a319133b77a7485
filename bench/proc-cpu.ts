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

/** Sum over processes whose command line contains `needle` (e.g. `postgres: … <dbname>`). */
export const matchingCpuMs = (needle: string): number => {
  let total = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) total += processCpuMs(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return total;
};

export type CpuProbe = Record<string, () => number>;

/** Starts a window over `probes`; `end()` gives each probe's CPU ms spent inside it. */
export const cpuWindow = (probes: CpuProbe) => {
  const start = Object.fromEntries(Object.entries(probes).map(([k, f]) => [k, f()]));
  return {
    end: (): Record<string, number> => Object.fromEntries(Object.entries(probes).map(([k, f]) => [k, Math.max(0, f() - start[k]!)])),
  };
};
