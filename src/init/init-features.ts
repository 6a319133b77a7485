/**
 * Step 5: the features that publish into or consume the events pipeline, each built after what it
 * needs: contacts (raise contact.* events), sequences (their `update_contact` steps raise the
 * same events), the rule engine (its enroll/unenroll actions need sequences' enrollments), and
 * call tracking (post-call workflows activate; call events are published).
 */
import { contactsRepo } from '../contacts/contacts-repo.js';
import { createContactsService } from '../contacts/contacts-service.js';
import { buildEventsAndRules } from '../rules/rules-module.js';
import { createSequences } from '../sequences/sequences-module.js';
import { buildTracking } from '../tracking/tracking-module.js';
import type { EngineBundle } from './init-engine.js';
import type { Infra } from './init-infra.js';
import type { Stores } from './init-stores.js';

export const initFeatures = (infra: Infra, stores: Pick<Stores, 'secrets'>, core: EngineBundle) => {
  const { db, config, clock } = infra;
  const { secrets } = stores;
  const events = core.eventsPipeline;
  const contacts = createContactsService({ db, contacts: contactsRepo, onChange: events.onContactChanged, onChanges: events.onContactsChanged });
  /** Sequences: its event consumer goes into the event worker's list; its SMS interceptor records replies. */
  const sequences = createSequences({
    db, secrets, clock, logger: infra.logger.child({ component: 'sequences' }), dispatch: core.engine.dispatcher, batchSize: config.SEQUENCE_BATCH_SIZE,
    allowedWebhookHosts: config.WEBHOOK_ALLOWED_HOSTS, onContactChanged: events.onContactChanged,
  });
  /** The rule engine over the events pipeline; its consumer runs in the event worker (init-workers.ts). */
  const rulesEngine = buildEventsAndRules({
    db, redis: infra.redis, config, logger: infra.logger.child({ component: 'rules' }), secrets, activations: core.activations,
    plans: core.engine.dispatcher, clock, emailEnabled: !!config.SMTP_URL, events,
    sequences: sequences.enrollments, // enroll_sequence / unenroll_sequence rule actions
  });
  /** Call tracking (docs/CALL-TRACKING.md): tracking-line calls, post-call workflows, logs. */
  const tracking = buildTracking({
    db, config, logger: infra.logger.child({ component: 'tracking' }), secrets, activations: core.activations, plans: core.engine.dispatcher,
    events: () => events.publisher,
  });
  return { contacts, sequences, rulesEngine, tracking };
};
export type FeaturesBundle = ReturnType<typeof initFeatures>;
