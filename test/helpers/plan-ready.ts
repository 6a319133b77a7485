/**
 * For runtimes without engine workers (`worker: false`): plays the planner for every activation
 * whose outbox row is still open — what the worker role's planner does the moment a feature's
 * ready plan (src/engine/ready-plans.ts) or a workflow activation is committed. Delivery jobs go
 * to the delivery queue as usual; with no delivery worker they stay `pending`.
 */
import { createLogger } from '../../src/logger.js';
import { createPlanner } from '../../src/engine/planner.js';
import { deliveriesRepo } from '../../src/engine/deliveries-repo.js';
import { engineRepo } from '../../src/engine/engine-repo.js';
import type { Runtime } from '../../src/main.js';

export const planQueued = async (rt: Runtime): Promise<number> => {
  const planner = createPlanner({
    db: rt.infra.db, engine: engineRepo, deliveries: deliveriesRepo, queues: rt.services.engine.queues, feed: rt.services.engine.feed, extras: {}, logger: createLogger('silent'),
    settings: { batchSize: rt.infra.config.DELIVERY_BATCH_SIZE, conferenceRetryMs: rt.infra.config.CONFERENCE_RETRY_AFTER_MS },
  });
  const open = await rt.infra.db.query(`SELECT ref_id FROM outbox WHERE topic = 'activation' AND completed_at IS NULL ORDER BY id`);
  for (const r of open.rows) await planner.plan(r.ref_id as string);
  return open.rows.length;
};
