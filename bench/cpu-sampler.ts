/**
 * CPU of processes whose command line contains argv[2] (proc-cpu.ts `matchingCpuMs`), sampled in
 * THIS process: scanning /proc every 200 ms costs ~2 ms of blocking file reads, which inside a
 * benchmark's server process stalls the event loop under test (bench:webhooks: the gateway runs
 * in the bench process, and a 2 ms stall every 200 ms is ~1% of requests, i.e. the p99).
 * Each line on stdin: prints the running total (ms). Exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import { matchingCpuMs } from './proc-cpu.js';

const probe = matchingCpuMs(process.argv[2] ?? '');
createInterface({ input: process.stdin })
  .on('line', () => process.stdout.write(`${probe()}\n`))
  .on('close', () => {
    probe.stop();
    process.exit(0);
  });
process.stdout.write('ready\n');
