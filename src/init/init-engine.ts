/**
 * Step 3: the spine (docs/ENGINE.md) and the events pipeline — the action engine (outbox relay,
 * planner, delivery workers, status listener, live feed), the activation service every trigger
 * enters through, and the events pipeline that contacts, sequences, rules and tracking publish
 * into. Features built in the next steps receive these finished values.
 */
import { shortUrlLength } from '../attachments/attachments-service.js';
import { createActionEngine } from '../engine/action-engine.js';
import { createActivationService } from '../engine/activation-service.js';
import { activationsRepo } from '../engine/activations-repo.js';
import { buildEventsPipeline } from '../events/events-module.js';
import { notSentText } from '../../ivr/sms-replies.js';
import { activationCounter, type Infra } from './init-infra.js';
import type { Stores } from './init-stores.js';

export const initEngine = (infra: Infra, stores: Pick<Stores, 'secrets'>) => {
  const { db, config } = infra;
  const engine = createActionEngine({
    config, db, redis: infra.redis, logger: infra.logger, secrets: stores.secrets, metrics: infra.metrics?.delivery, senderReportText: notSentText,
  });
  const activations = createActivationService({
    db, activations: activationsRepo, dispatcher: engine.dispatcher, onCreated: activationCounter(infra),
    attachmentLinkLength: shortUrlLength(config.PUBLIC_URL),
  });
  // The events pipeline logs as part of the rule engine, as it did when the rule module built it.
  const eventsPipeline = buildEventsPipeline({ db, redis: infra.redis, config, logger: infra.logger.child({ component: 'rules' }) });
  return { engine, activations, eventsPipeline };
};
export type EngineBundle = ReturnType<typeof initEngine>;
