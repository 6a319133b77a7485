import type { Queue } from 'bullmq';
import type { DeliveryBatchJob } from './queues.js';

/**
 * Puts deliveries on the delivery queue in batches of `batchSize` with `addBulk`. Job ids are
 * derived from the batch (`<tag>-<first delivery id>`), so enqueueing the same batch again while
 * it waits is a no-op; a job that runs twice is harmless (claims are conditional).
 */
export const enqueueDeliveries = async (
  queue: Queue<DeliveryBatchJob>,
  ids: string[],
  batchSize: number,
  opts: { tag?: string; delayMs?: number } = {},
): Promise<number> => {
  const jobs = [];
  for (let i = 0; i < ids.length; i += batchSize) {
    const chunk = ids.slice(i, i + batchSize);
    jobs.push({
      name: 'send',
      data: { deliveryIds: chunk },
      opts: { jobId: `${opts.tag ?? 'b'}-${chunk[0]}`, ...(opts.delayMs ? { delay: Math.ceil(opts.delayMs) } : {}) },
    });
  }
  for (let i = 0; i < jobs.length; i += 1000) await queue.addBulk(jobs.slice(i, i + 1000));
  return jobs.length;
};
