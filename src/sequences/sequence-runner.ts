import type { PoolClient } from 'pg';
import { lazySavepoint, withTransaction, type Db } from '../db/db.js';
import type { ContactChangeHook } from '../events/contact-events.js';
import type { Logger } from '../logger.js';
import { startPoller } from '../poller.js';
import type { Clock } from '../clock.js';
import { isSignalCondition, type SequenceContact, type Signal } from './conditions.js';
import type { Enrollment, EnrollmentsRepo, EnrollmentUpdate, NewHistory } from './enrollments-repo.js';
import { runEnrollment } from './sequence-engine.js';
import type { ActivationDispatcher, SequenceSender } from './sequence-sender.js';
import { quietHoursFromSettings, zoneFor } from './quiet-hours.js';
import type { SequenceDefinition, UpdateContactStep } from './sequence-types.js';
import type { SequenceRunRepo } from './sequence-run-repo.js';
import type { SequenceSignalsRepo } from './sequence-signals-repo.js';
import type { SequencesRepo } from './sequences-repo.js';

/**
 * The sequence worker loop. Waits live in PostgreSQL: each active enrollment has a due time
 * (`next_run_at`). A batch of due rows is claimed with `FOR UPDATE SKIP LOCKED` (so any number
 * of worker processes share the work and never run one enrollment twice at once), run through
 * the step machine, and written back in bulk in the same transaction — sends included (see
 * sequence-sender.ts). Only deliveries due now reach Redis, after COMMIT.
 *
 * A failure while running one enrollment rolls back only that enrollment (savepoint) and retries
 * it with backoff; after MAX_ATTEMPTS it is marked `failed` with the error.
 */
export type SequenceRunnerDeps = {
  db: Db;
  enrollments: Pick<EnrollmentsRepo, 'claimDue' | 'applyUpdates' | 'insertHistory'>;
  sequences: Pick<SequencesRepo, 'findVersionsById'>;
  run: Pick<SequenceRunRepo, 'loadRunContacts' | 'loadRunAccounts' | 'acknowledgedCalls' | 'updateContactForStep'>;
  signals: Pick<SequenceSignalsRepo, 'loadSignals'>;
  clock: Clock;
  sender: Pick<SequenceSender, 'send'>;
  /** The outbox relay's fast path: the activations of the sends a pass created, after its commit. */
  dispatch?: ActivationDispatcher;
  /** Raises contact events for `update_contact` steps (the contacts service's change hook). */
  onContactChanged?: ContactChangeHook;
  logger: Logger;
  batchSize: number;
};

const MAX_ATTEMPTS = 5;
const backoffMs = (attempt: number) => Math.min(30_000 * 2 ** (attempt - 1), 3_600_000);

/**
 * A key pressed on a sequence call is recorded on its delivery (`acknowledged`) by the outbound
 * call flow, which raises no event: read it from the enrollment's own deliveries, stamped with
 * the time its step ran.
 */
const loadKeyPresses = async (repo: Pick<SequenceRunRepo, 'acknowledgedCalls'>, tx: PoolClient, due: Enrollment[]): Promise<Map<string, Signal[]>> => {
  const out = new Map<string, Signal[]>();
  if (due.length === 0) return out;
  const byId = new Map(due.map((e) => [e.id, e]));
  for (const r of await repo.acknowledgedCalls(tx, [...new Set(due.map((e) => e.contactId))], due.map((e) => e.id))) {
    const e = byId.get(r.enrollmentId)!;
    const ran = e.state.ran?.[r.stepId];
    const list = out.get(e.id) ?? [];
    list.push({ kind: 'key_pressed', eventType: 'delivery.status', data: { digits: '1', deliveryId: r.deliveryId }, at: ran ? new Date(ran) : e.enrolledAt });
    out.set(e.id, list);
  }
  return out;
};

const usesKeyPresses = (d: SequenceDefinition): boolean =>
  d.exits.some((c) => c.type === 'key_pressed') || d.steps.some((s) => s.type === 'branch' && s.branch.condition.type === 'key_pressed');

const usesSignals = (d: SequenceDefinition): boolean =>
  d.exits.some(isSignalCondition) || d.steps.some((s) => s.type === 'branch' && isSignalCondition(s.branch.condition));

/**
 * An `update_contact` step: sets the status and merges the custom fields, raising the same
 * contact.status_changed / contact.field_changed events as an API update (rules react to them),
 * in the step's transaction.
 */
const contactUpdater = (repo: Pick<SequenceRunRepo, 'updateContactForStep'>, onChange: ContactChangeHook | undefined) =>
  async (tx: PoolClient, e: Pick<Enrollment, 'accountId' | 'contactId'>, update: UpdateContactStep['update']): Promise<void> => {
    const changed = await repo.updateContactForStep(tx, e.contactId, update);
    if (!onChange || !changed) return;
    await onChange(tx, { accountId: e.accountId, contactId: e.contactId, before: changed.before, after: changed.after });
  };

export const createSequenceRunner = (deps: SequenceRunnerDeps) => {
  const updateContact = contactUpdater(deps.run, deps.onContactChanged);
  // Versions are immutable: cache them (bounded) instead of reading them on every batch.
  const versions = new Map<string, SequenceDefinition>();
  const definitions = async (tx: PoolClient, ids: string[]) => {
    const missing = [...new Set(ids)].filter((id) => !versions.has(id));
    if (versions.size + missing.length > 5000) versions.clear();
    for (const v of await deps.sequences.findVersionsById(tx, missing)) versions.set(v.id, v.definition);
    return versions;
  };

  const failUpdate = (e: Enrollment, err: unknown, now: Date): { update: EnrollmentUpdate; history: NewHistory[] } => {
    const attempts = e.attempts + 1;
    const message = err instanceof Error ? err.message : String(err);
    const final = attempts >= MAX_ATTEMPTS;
    return {
      update: {
        id: e.id, status: final ? 'failed' : 'active', stepIndex: e.stepIndex, stepId: e.stepId, waiting: final ? 'none' : e.waiting,
        stepEnteredAt: e.stepEnteredAt, waitUntil: e.waitUntil, nextRunAt: final ? null : new Date(now.getTime() + backoffMs(attempts)),
        attempts, state: e.state, exitReason: null, error: message.slice(0, 500), endedAt: final ? now : null,
      },
      history: [{ accountId: e.accountId, sequenceId: e.sequenceId, enrollmentId: e.id, contactId: e.contactId, version: e.version,
        stepId: e.stepId, kind: final ? 'failed' : 'error', detail: { error: message.slice(0, 500), attempt: attempts }, at: now }],
    };
  };

  /** Claims and runs one batch of due enrollments; returns how many were claimed. */
  const runBatch = async (): Promise<number> => {
    const now = deps.clock.now();
    const toDispatch: string[] = [];
    const claimed = await withTransaction(deps.db, async (tx) => {
      const due = await deps.enrollments.claimDue(tx, now, deps.batchSize);
      if (due.length === 0) return 0;
      const defs = await definitions(tx, due.map((e) => e.versionId));
      const contacts = await deps.run.loadRunContacts(tx, [...new Set(due.map((e) => e.contactId))]);
      const accountRows = await deps.run.loadRunAccounts(tx, [...new Set(due.map((e) => e.accountId))]);
      const accounts = new Map([...accountRows].map(([id, r]) => [id, { timezone: r.timezone, quiet: quietHoursFromSettings(r.settings) }]));
      const needSignals = due.filter((e) => usesSignals(defs.get(e.versionId)!));
      const earliest = new Date(Math.min(...needSignals.map((e) => e.enrolledAt.getTime()), now.getTime()));
      const signals = await deps.signals.loadSignals(tx, [...new Set(needSignals.map((e) => e.contactId))], earliest);
      const keyPresses = await loadKeyPresses(deps.run, tx, due.filter((e) => usesKeyPresses(defs.get(e.versionId)!)));

      const updates: EnrollmentUpdate[] = [];
      const history: NewHistory[] = [];
      for (const e of due) {
        const def = defs.get(e.versionId)!;
        const contact = contacts.get(e.contactId) ?? null;
        const account = accounts.get(e.accountId)!;
        const sent: string[] = [];
        const sp = lazySavepoint(tx, 'seq_enrollment');
        try {
          const result = await runEnrollment(e, {
            now, definition: def, contact, signals: [...(signals.get(e.contactId) ?? []), ...(keyPresses.get(e.id) ?? [])], quietHours: account.quiet,
            zone: zoneFor(contact?.timezone, account.timezone),
            send: async (step) => {
              await sp.mark();
              const out = await deps.sender.send(tx, {
                accountId: e.accountId, sequenceId: e.sequenceId, enrollmentId: e.id, version: e.version, contact: contact!,
                placeholders: e.placeholders, defaultLineId: def.lineId ?? null, step,
              });
              if (out.status === 'queued' && out.activationId) sent.push(out.activationId);
              return out;
            },
            updateContact: async (step) => {
              await sp.mark();
              await updateContact(tx, e, step.update);
            },
          });
          await sp.release();
          updates.push(result.update);
          history.push(...result.history);
          toDispatch.push(...sent);
        } catch (err) {
          await sp.rollback();
          deps.logger.warn({ err, enrollmentId: e.id, sequenceId: e.sequenceId }, 'sequence step failed');
          const f = failUpdate(e, err, now);
          updates.push(f.update);
          history.push(...f.history);
        }
      }
      await deps.enrollments.applyUpdates(tx, updates, now);
      await deps.enrollments.insertHistory(tx, history);
      return due.length;
    });
    if (toDispatch.length > 0 && deps.dispatch) {
      // Best effort: the outbox sweeper queues whatever Redis did not take.
      await deps.dispatch.dispatch(toDispatch).catch((err: unknown) => deps.logger.warn({ err }, 'sequence send dispatch failed'));
    }
    return claimed;
  };

  /** Runs batches until nothing is due at the clock's current time (tests, benchmarks). */
  const drain = async (maxBatches = 10_000): Promise<number> => {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const n = await runBatch();
      total += n;
      if (n === 0) break;
    }
    return total;
  };

  /** The loop a `work` process runs: a batch at a time, pausing `intervalMs` when nothing is due. */
  const start = (intervalMs: number): { close(): Promise<void> } => startPoller({
    intervalMs,
    spacing: 'fixed-delay',
    firstDelayMs: 0,
    logger: deps.logger,
    errorLevel: 'error',
    errorMessage: 'sequence batch failed',
    pass: async () => ((await runBatch()) < deps.batchSize ? intervalMs : 0),
  });

  return { runBatch, drain, start };
};
export type SequenceRunner = ReturnType<typeof createSequenceRunner>;
