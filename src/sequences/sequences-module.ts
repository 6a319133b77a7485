import type { SecretBox } from '../crypto.js';
import type { Db } from '../db/db.js';
import type { ContactChangeHook } from '../events/contact-events.js';
import type { Logger } from '../logger.js';
import { readyPlansRepo } from '../engine/ready-plans-repo.js';
import { sendingLinesRepo } from '../engine/sending-lines-repo.js';
import { systemClock, type Clock } from '../clock.js';
import { createEnrollmentService } from './enrollment-service.js';
import { enrollmentStatusRepo } from './enrollment-status-repo.js';
import { enrollmentTargetsRepo } from './enrollment-targets-repo.js';
import { createEnrollmentTargets } from './enrollment-targets.js';
import { enrollmentsRepo } from './enrollments-repo.js';
import { sequenceRunRepo } from './sequence-run-repo.js';
import { createSequenceRunner } from './sequence-runner.js';
import { createSequenceSender, type ActivationDispatcher } from './sequence-sender.js';
import { createSequenceService } from './sequence-service.js';
import { createSequenceOptOutListener } from './sequence-opt-outs.js';
import { createSequenceSignals } from './sequence-signals.js';
import { sequenceSignalsRepo } from './sequence-signals-repo.js';
import { createSequenceStatusService } from './sequence-status-service.js';
import { createSequenceTemplateService } from './sequence-template-service.js';
import { sequencesRepo } from './sequences-repo.js';
import { sequenceTemplatesRepo } from './sequence-templates-repo.js';

export type SequencesDeps = {
  db: Db;
  secrets: Pick<SecretBox, 'seal'>;
  logger: Logger;
  clock?: Clock;
  /** The outbox relay's fast path (the engine's `dispatcher`): hands the sends' activations to the planner after commit. */
  dispatch?: ActivationDispatcher;
  /** The contacts change hook: `update_contact` steps raise contact.status_changed / field_changed. */
  onContactChanged?: ContactChangeHook;
  batchSize?: number;
  /** WEBHOOK_ALLOWED_HOSTS: hosts webhook steps may name although they are private (default: none). */
  allowedWebhookHosts?: readonly string[];
};

/**
 * Everything sequences offer, wired once by the composition root:
 * - `sequences` CRUD, versions, steps, pause; `templates` (built-in and the account's own) list, CRUD and copy;
 * - `enrollments` (API, trigger, `enrollByRule` for the rule engine, unenroll; `enrollTarget`: a group, list or CSV);
 * - `status` (per contact, per sequence counts, history read and purge);
 * - `signals.consumer` (register with the event worker) and `signals.interceptor` (inbound SMS);
 * - `optOutListener` (telephony's opt-out listeners): STOP ends the contact's enrollments at once;
 * - `runner` (the worker loop: `start(intervalMs)`; `drain()` for tests and benchmarks).
 */
export const createSequences = (deps: SequencesDeps) => {
  const clock = deps.clock ?? systemClock;
  const sequences = createSequenceService({
    db: deps.db, sequences: sequencesRepo, enrollments: enrollmentsRepo, secrets: deps.secrets, allowedWebhookHosts: deps.allowedWebhookHosts,
  });
  const baseEnrollments = createEnrollmentService({
    db: deps.db, clock, sequences: sequencesRepo, enrollments: enrollmentsRepo, contacts: enrollmentTargetsRepo,
  });
  // One object for routes: by id (enroll, trigger…) and by group, list or CSV (enrollTarget).
  const targets = createEnrollmentTargets({ db: deps.db, enrollments: baseEnrollments, targets: enrollmentTargetsRepo });
  const enrollments = { ...baseEnrollments, ...targets };
  const status = createSequenceStatusService({ db: deps.db, sequences: sequencesRepo, status: enrollmentStatusRepo });
  const signals = createSequenceSignals({ db: deps.db, clock, signals: sequenceSignalsRepo });
  const runner = createSequenceRunner({
    db: deps.db, enrollments: enrollmentsRepo, sequences: sequencesRepo, run: sequenceRunRepo, signals: sequenceSignalsRepo, clock, sender: createSequenceSender({ readyPlans: readyPlansRepo, sendingLines: sendingLinesRepo }), dispatch: deps.dispatch, onContactChanged: deps.onContactChanged, logger: deps.logger, batchSize: deps.batchSize ?? 500,
  });

  const templates = createSequenceTemplateService({ db: deps.db, sequences, templates: sequenceTemplatesRepo });

  const optOutListener = createSequenceOptOutListener({ clock, enrollments: enrollmentsRepo });

  return { clock, sequences, enrollments, status, signals, runner, templates, optOutListener };
};
export type Sequences = ReturnType<typeof createSequences>;
