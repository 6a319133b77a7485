/**
 * One "worker process" for schedule-race.test.ts: its own pool, its own firing loop on the
 * real clock. Prints `ready`, waits for `go` on stdin, fires until nothing is due, then prints
 * how many activations it created, as JSON.
 */
import { createPool } from '../../src/db/db.js';
import { systemClock } from '../../src/clock.js';
import { createScheduleFirer } from '../../src/schedule/schedule-firer.js';
import { schedulesRepo } from '../../src/schedule/schedules-repo.js';
import { activationBatchRepo } from '../../src/engine/activation-batch-repo.js';

const [databaseUrl, batch] = process.argv.slice(2);
const db = createPool(databaseUrl!, 4);
const firer = createScheduleFirer({ db, schedules: schedulesRepo, activations: activationBatchRepo, clock: systemClock, graceMinutes: 15, batchSize: Number(batch ?? 50) });

await db.query('SELECT 1');
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));

let fired = 0;
let passes = 0;
let emptyPasses = 0;
// Two concurrent claimers per process, as the loop runs them.
await Promise.all([0, 1].map(async () => {
  while (emptyPasses < 3) {
    const r = await firer.fireDue();
    passes++;
    fired += r.fired.length;
    if (r.claimed === 0) {
      emptyPasses++;
      await new Promise((res) => setTimeout(res, 20));
    }
  }
}));
process.stdout.write(`${JSON.stringify({ fired, passes })}\n`);
await db.end();
