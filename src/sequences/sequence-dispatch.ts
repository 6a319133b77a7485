import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { enqueueDeliveries } from '../delivery/delivery-queue.js';
import { queueNames, type DeliveryBatchJob } from '../queue/queues.js';
import type { DeliveryDispatch } from './sequence-sender.js';

/**
 * The fast path from committed sequence sends to the action engine's delivery queue (job ids
 * `seq-<first delivery id>`, so a repeat is a no-op). The queue connects on first use; the
 * engine's delivery sweeper re-queues any pending delivery this misses.
 */
export const createSequenceDispatch = (redis: () => Redis, prefix: string, batchSize: number): DeliveryDispatch & { close(): Promise<void> } => {
  let queue: Queue<DeliveryBatchJob> | null = null;
  return {
    async dispatch(ids) {
      if (ids.length === 0) return;
      queue ??= new Queue<DeliveryBatchJob>(queueNames.deliveries, { connection: redis(), prefix });
      await enqueueDeliveries(queue, ids, batchSize, { tag: 'seq' });
    },
    async close() {
      await queue?.close();
      queue = null;
    },
  };
};
