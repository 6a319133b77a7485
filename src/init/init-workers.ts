/**
 * Step 8 (worker role): the long-running background loops and BullMQ workers, each with
 * `close()`. They are closed together (src/main.ts `stop()`), so the list's order is only the
 * order they start in.
 */
import { startScheduleLoop } from '../schedule/schedule-loop.js';
import { createScheduleFirer } from '../schedule/schedule-firer.js';
import { schedulesRepo } from '../schedule/schedules-repo.js';
import { activationBatchRepo } from '../engine/activation-batch-repo.js';
import { startEventsAndRulesWorkers } from '../rules/rules-module.js';
import type { EventConsumer } from '../events/event-types.js';
import { startSessionPurge } from '../users/session-purge.js';
import { activationCounter, type Infra } from './init-infra.js';
import type { Services } from './services.js';

export type Closeable = { close(): Promise<void> };

/** Metrics: how late each fired occurrence was committed (seconds). */
const scheduleLag = (infra: Infra) => (r: { committedAt: Date; fired: Array<{ occurrence: Date }> }) =>
  infra.metrics?.activation.scheduleFired(r.fired.map((f) => (r.committedAt.getTime() - f.occurrence.getTime()) / 1000));

export const initWorkers = async (infra: Infra, s: Services): Promise<Closeable[]> => {
  const { config, db } = infra;
  // The event worker hands every event to each consumer in this order: rules, then sequences'
  // signals, then call tracking's post-call workflows; each consumption is recorded on its own,
  // so a retried event runs only the consumers that failed.
  const consumers: EventConsumer[] = [s.rulesEngine.ruleConsumer, s.sequences.signals.consumer, s.tracking.consumer];
  return [
    { close: async () => s.channels.email.close() }, // pooled SMTP connections
    ...s.engine.start({
      providers: s.telephony.providers.all, senders: s.channels.senders, extras: s.channels.extras, recordStatus: s.telephony.statuses.record,
    }),
    ...(config.SEQUENCE_POLL_MS > 0 ? [s.sequences.runner.start(config.SEQUENCE_POLL_MS)] : []),
    ...(config.SESSION_PURGE_INTERVAL_MINUTES > 0
      ? [startSessionPurge({
        sessions: s.sessions, intervalMs: config.SESSION_PURGE_INTERVAL_MINUTES * 60_000, logger: infra.logger.child({ component: 'sessions' }),
      })]
      : []),
    startEventsAndRulesWorkers(s.rulesEngine, { db, config, logger: infra.logger.child({ component: 'events' }), consumers }),
    startScheduleLoop({
      db,
      schedules: schedulesRepo,
      clock: s.clock,
      logger: infra.logger.child({ component: 'schedules' }),
      onPass: scheduleLag(infra),
      firer: createScheduleFirer({
        db, schedules: schedulesRepo, activations: activationBatchRepo, clock: s.clock, graceMinutes: config.SCHEDULE_GRACE_MINUTES,
        dispatcher: s.engine.dispatcher, onCreated: activationCounter(infra),
      }),
    }),
  ];
};
