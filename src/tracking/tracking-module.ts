/**
 * Call tracking, wired from its parts for the composition root:
 * - `calls`: the tracking-line call flow (voice hand-off, Dial action, leg/recording callbacks)
 *   and `calls.statusListener` (put it FIRST among the telephony status listeners);
 * - `consumer`: the post-call workflow evaluator, for the event worker's consumer list;
 * - `workflows`, `logs`, `preview`: the API's services.
 */
import type { ActivationDispatcher, ActivationService } from '../engine/activation-service.js';
import type { Config } from '../config.js';
import type { SecretBox } from '../crypto.js';
import type { Db } from '../db/db.js';
import type { EventPublisher } from '../events/event-types.js';
import type { Logger } from '../logger.js';
import { readyPlansRepo } from '../engine/ready-plans-repo.js';
import { dncRepo } from '../rules/dnc-repo.js';
import { gatewayLinesRepo } from '../telephony/lines-repo.js';
import { smsOptOutsRepo } from '../telephony/sms-opt-outs-repo.js';
import { callDetailsRepo } from './call-details-repo.js';
import { createDniNumbersService } from './dni-numbers-service.js';
import { createDniPoolsService } from './dni-pools-service.js';
import { dniRepo } from './dni-repo.js';
import { trackedCallsRepo } from './tracked-calls-repo.js';
import { createTrackingCallService } from './tracking-call-service.js';
import { createTrackingEvaluator } from './tracking-evaluator.js';
import { trackingLogsRepo } from './tracking-logs-repo.js';
import { createTrackingLogsService } from './tracking-logs-service.js';
import { createTrackingPreview } from './tracking-preview.js';
import { trackingPreviewRepo } from './tracking-preview-repo.js';
import { createTrackingSends } from './tracking-sends.js';
import { trackingWorkflowsRepo } from './tracking-workflows-repo.js';
import { createTrackingWorkflowsService } from './tracking-workflows-service.js';

export type TrackingDeps = {
  db: Db;
  config: Pick<Config, 'WEBHOOK_ALLOWED_HOSTS' | 'SECRET_KEY' | 'PUBLIC_URL'>;
  logger: Logger;
  secrets: Pick<SecretBox, 'seal'>;
  activations: Pick<ActivationService, 'activate'>;
  /** The outbox relay's fast path (the engine's `dispatcher`): post-call sends are planned at once after commit. */
  plans: ActivationDispatcher;
  /** The events pipeline's publisher, resolved at call time (it may be built after this module). */
  events: () => Pick<EventPublisher, 'publish'> & { dispatcher?: { dispatch(ids: string[]): Promise<void> } };
};

export const buildTracking = (deps: TrackingDeps) => {
  const { db, logger } = deps;
  /** Dynamic Number Insertion: which pool number a web visitor is shown, and whose session a call to it is. */
  const dniNumbers = createDniNumbersService({ db, secretKey: deps.config.SECRET_KEY, dni: dniRepo });
  const calls = createTrackingCallService({
    db, logger, attribution: dniNumbers, calls: trackedCallsRepo, lines: gatewayLinesRepo,
    events: {
      publish: (q, e) => deps.events().publish(q, e),
      dispatch: async (ids) => deps.events().dispatcher?.dispatch(ids),
    },
  });
  const evaluator = createTrackingEvaluator({
    db, calls: trackedCallsRepo, workflows: trackingWorkflowsRepo, logs: trackingLogsRepo, details: callDetailsRepo,
    actionRepos: { details: callDetailsRepo, optOuts: smsOptOutsRepo, dnc: dncRepo },
    sends: createTrackingSends({ readyPlans: readyPlansRepo }), plans: deps.plans, activations: deps.activations, logger,
  });
  return {
    calls,
    consumer: evaluator.consumer,
    workflows: createTrackingWorkflowsService({
      db, workflows: trackingWorkflowsRepo, secrets: deps.secrets, allowedWebhookHosts: deps.config.WEBHOOK_ALLOWED_HOSTS,
    }),
    logs: createTrackingLogsService({ db, logs: trackingLogsRepo }),
    preview: createTrackingPreview({ db, repo: trackingPreviewRepo }),
    dniNumbers,
    dniPools: createDniPoolsService({ db, publicUrl: deps.config.PUBLIC_URL, dni: dniRepo }),
  };
};

export type Tracking = ReturnType<typeof buildTracking>;
