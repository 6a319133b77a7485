import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngineQueues, createWorker, type EngineWorker } from '../../src/engine/queues.js';
import type { DeliveryBatchJob } from '../../src/engine/queues.js';
import { eventually } from '../helpers/eventually.js';

/**
 * A carrier 429 seen by one delivery worker must slow the whole queue: every worker, in every
 * process (here: two workers on their own connections, as two processes would have).
 */
describe('delivery queue rate limit (carrier 429)', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:63799', { maxRetriesPerRequest: null });
  const prefix = `{sbt-rl-${randomBytes(4).toString('hex')}}`;
  const queues = createEngineQueues(redis, { prefix, lockMs: 5_000 });
  const workers: Array<EngineWorker<DeliveryBatchJob>> = [];
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await queues.deliveries.obliterate({ force: true }).catch(() => undefined);
    await queues.close();
    await redis.quit();
  });

  it('pauses every worker of the queue, not just the one that saw the 429', async () => {
    const starts: Array<{ id: string; worker: number; at: number }> = [];
    let limitedAt = 0;
    const processor = (worker: number) => async (job: { id?: string; data: DeliveryBatchJob }) => {
      starts.push({ id: job.id!, worker, at: Date.now() });
      if (job.id === 'first' && limitedAt === 0) {
        limitedAt = Date.now();
        await queues.deliveries.rateLimit(1_000);
        throw Worker.RateLimitError();
      }
    };
    for (const n of [1, 2]) workers.push(createWorker<DeliveryBatchJob>('deliveries', processor(n) as never, redis, { prefix, lockMs: 5_000, concurrency: 1 }));
    await Promise.all(workers.map((w) => w.worker.waitUntilReady()));
    await queues.deliveries.add('send', { deliveryIds: [] }, { jobId: 'first' });
    await eventually(() => limitedAt > 0, 'the queue rate-limited', 5_000);
    // More work arrives while the queue is limited: nobody may take it before the limit ends.
    await queues.deliveries.addBulk(['a', 'b', 'c'].map((id) => ({ name: 'send', data: { deliveryIds: [] }, opts: { jobId: id } })));
    await eventually(() => starts.filter((s) => s.id !== 'first' || s.at > limitedAt).length >= 4, 'every job started after the limit', 10_000);
    const after = starts.filter((s) => s.at > limitedAt);
    expect(after.map((s) => s.id).sort()).toEqual(['a', 'b', 'c', 'first']);
    for (const s of after) expect(s.at - limitedAt, `${s.id} on worker ${s.worker}`).toBeGreaterThanOrEqual(900);
  });
});
