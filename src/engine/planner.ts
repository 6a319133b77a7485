import type { Queue } from 'bullmq';
import { withTransaction, type Db, type Queryable } from '../db/db.js';
import { toChange, type DeliveriesRepo, type Delivery, type PlannedDelivery } from './deliveries-repo.js';
import { enqueueDeliveries } from './delivery-queue.js';
import type { NotificationExtras } from './notification-extras-port.js';
import type { FeedEvent, FeedPublisher } from './feed.js';
import type { Logger } from '../logger.js';
import type { DeliveryMetrics } from './metrics-port.js';
import type { DeliveryBatchJob, TimerJob } from './queues.js';
import { render } from '../templates/templates.js';
import type { Action, NotificationAction, WebhookAction } from '../workflows/workflow-types.js';
import type { EngineRepo, PlanInput } from './engine-repo.js';
import {
  actionGroups, fieldsFor, noExtras, planConference, planNotification, planPager, planWebhook,
  type ActionExtras, type PlanScope, type SendingLine,
} from './plan-rows.js';
import { readyRows } from './ready-plans.js';
import { chooseSendingLine } from './sending-line.js';
import type { AccountLine } from './sending-lines-repo.js';

export type PlannerDeps = {
  db: Db;
  engine: Pick<EngineRepo,
    | 'loadPlanInput' | 'groupContacts' | 'setActivationStatus' | 'countRecipients' | 'completeIfDone'
    | 'markOutboxCompleted' | 'loadActionExtras' | 'saveActionExtras' | 'insertTimer'>;
  deliveries: Pick<DeliveriesRepo, 'insertPlanned' | 'insertPlannedRunning' | 'pendingIds'>;
  /** `urgent`: the lane of activations whose deliveries fit in one delivery job (see `laneFor`). */
  queues: { deliveries: Queue<DeliveryBatchJob>; urgent: Queue<DeliveryBatchJob>; timers: Queue<TimerJob> };
  feed: FeedPublisher;
  /** Counts deliveries skipped at planning (final at once). */
  metrics?: Pick<DeliveryMetrics, 'reached'>;
  extras: NotificationExtras;
  settings: { batchSize: number; conferenceRetryMs: number };
  logger: Logger;
  /**
   * Called between the chunks of a large plan (src/engine/lane-gate.ts `yieldToOthers`): lets the
   * small activations keyed meanwhile be planned first. None: chunks follow each other at once.
   */
  yieldBetweenChunks?: () => Promise<void>;
  /**
   * Sends a small (urgent-lane) plan's deliveries in this process at once (the delivery worker's
   * `sendNow`): true once they are claimed. None, or false: they are queued on the urgent lane.
   */
  sendNow?: (deliveryIds: string[]) => Promise<boolean>;
};

/**
 * The sending line of an action, by the rule every send follows (sending-line.ts): the action's
 * own line (conference, pager) — none when it is gone —, else the workflow's code-activation line,
 * else the account's oldest activation line, else its oldest line. A line of another account is
 * never used.
 */
export const sendingLine = (action: Action, input: PlanInput, lines: readonly AccountLine[]): SendingLine | null =>
  chooseSendingLine(lines, {
    named: 'lineId' in action ? action.lineId : null,
    preferred: [input.codeLineId, input.definition.codeActivation?.lineId],
  });

/**
 * The delivery lane of an activation with `pending` deliveries to send: the urgent lane when they
 * all fit in one delivery job (an emergency to a team, a reply, a sequence step), the bulk queue
 * otherwise (a broadcast). The urgent lane has its own workers and send slots, so a small
 * activation is never queued behind a large one's batches; per-line pacing applies to both.
 */
export const laneFor = (pending: number, batchSize: number): 'urgent' | 'deliveries' => (pending <= batchSize ? 'urgent' : 'deliveries');

/** People rendered between two turns of the event loop (contacts are distinct: each is its own rows). */
const EXPAND_SLICE = 500;

/** Ids of the pending rows among these. */
const pendingOf = (rows: ReadonlyArray<Pick<Delivery, 'id' | 'status'>>): string[] => rows.filter((d) => d.status === 'pending').map((d) => d.id);

/** People with at least one delivery that is not skipped (as `countRecipients` counts them). */
const recipientsOf = (rows: ReadonlyArray<Pick<Delivery, 'contactId' | 'recipientKey' | 'status'>>): number =>
  new Set(rows.filter((d) => d.status !== 'skipped').map((d) => d.contactId ?? d.recipientKey)).size;

/**
 * Chunks a large plan is written in: two delivery jobs first (the first texts go within a few
 * milliseconds), then 1,000 rows per statement (short enough to let a small activation keyed
 * meanwhile be planned between two of them).
 */
const planChunks = function* <T>(rows: T[], batchSize: number): Generator<T[]> {
  const first = Math.min(rows.length, 2 * batchSize);
  yield rows.slice(0, first);
  for (let i = first; i < rows.length; i += 1000) yield rows.slice(i, i + 1000);
};

export const createPlanner = (deps: PlannerDeps) => {
  const { db, extras, logger } = deps;

  /** Prompt output and poll, computed once per action per activation and stored. */
  const actionExtras = async (input: PlanInput, action: (NotificationAction | WebhookAction) & { id: string }, scope: PlanScope): Promise<ActionExtras> => {
    const a = input.activation;
    // Nothing to compute once and keep (no prompt, no poll): no row to read or write.
    const stored = Boolean(action.prompt?.text) || (action.type === 'notification' && Boolean(action.poll));
    let e = stored ? await deps.engine.loadActionExtras(db, a.id, action.id) : { ...noExtras };
    if (!e) {
      const fresh: ActionExtras = { ...noExtras };
      if (action.prompt?.text) {
        if (!extras.prompts) fresh.promptError = 'no prompt endpoint is configured';
        else {
          const prompt = render(action.prompt.text, scope.placeholders, fieldsFor(scope, noExtras));
          try {
            fresh.promptOutput = await extras.prompts.run(prompt, {
              accountId: a.accountId, activationId: a.id, actionId: action.id, workflowName: scope.workflowName,
              placeholders: scope.placeholders, inboundMessage: scope.inboundMessage, recordingUrl: scope.recordingUrl,
              settings: action.prompt.settings, // a saved prompt's model settings, pinned with its version
            });
          } catch (err) {
            fresh.promptError = `prompt failed, sent without it: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500);
            logger.warn({ activationId: a.id, actionId: action.id, err: fresh.promptError }, 'prompt failed');
          }
        }
      }
      if (action.type === 'notification' && action.poll && extras.polls) {
        fresh.pollId = (await extras.polls.createPoll({ accountId: a.accountId, activationId: a.id, actionId: action.id, poll: action.poll })).pollId;
      }
      e = await deps.engine.saveActionExtras(db, a.accountId, a.id, action.id, fresh);
    }
    if (action.type === 'notification' && action.attachmentId && extras.attachments) {
      e = { ...e, attachmentUrl: await extras.attachments.shortUrl(a.accountId, action.attachmentId).catch(() => null) };
    }
    return e;
  };

  const planAction = async (input: PlanInput, action: Action & { id: string }, scope: PlanScope, lines: readonly AccountLine[]): Promise<PlannedDelivery[]> => {
    const line = sendingLine(action, input, lines);
    const groups = actionGroups(action);
    const withPush = action.type === 'notification' && action.channels.includes('push');
    const contacts = groups ? await deps.engine.groupContacts(db, input.activation.accountId, groups.groupIds, groups.includeOffDuty, withPush) : [];
    switch (action.type) {
      case 'notification': {
        const found = await actionExtras(input, action, scope);
        // Rendered 500 people at a time, the event loop served in between: a broadcast's
        // expansion does not hold up the small activations this worker is planning and sending.
        const rows: PlannedDelivery[] = [];
        for (let i = 0; i < contacts.length; i += EXPAND_SLICE) {
          if (i > 0) await new Promise((resolve) => setImmediate(resolve));
          rows.push(...planNotification(action, contacts.slice(i, i + EXPAND_SLICE), scope, found, line, extras.push));
        }
        return rows;
      }
      case 'conference':
        return planConference(action, contacts, scope, line);
      case 'pager':
        return planPager(action, contacts, line);
      case 'webhook':
        return [planWebhook(action, scope, await actionExtras(input, action, scope))];
    }
  };

  const publish = async (accountId: string, events: Array<FeedEvent | null>) => {
    const list = events.filter((e): e is FeedEvent => e !== null);
    for (let i = 0; i < list.length; i += 500) await deps.feed.publish(accountId, list.slice(i, i + 500));
  };

  /**
   * Planner job: expands the activation's pinned workflow version (or the ready plan its feature
   * stored: ready-plans.ts) into delivery rows and queues them. Idempotent: rows have a unique
   * key and are inserted with ON CONFLICT DO NOTHING, action results are stored once, so a job
   * that runs twice (crash, sweeper) sends nothing twice.
   */
  const plan = async (activationId: string): Promise<{ deliveries: number; recipients: number } | null> => {
    const input = await deps.engine.loadPlanInput(db, activationId);
    const a = input?.activation;
    if (!input || !a || a.status === 'completed' || a.status === 'failed') {
      await deps.engine.markOutboxCompleted(db, activationId);
      return null;
    }
    const scope: PlanScope = {
      activationId: a.id, workflowName: input.workflowName, placeholders: a.placeholders,
      inboundMessage: a.inboundMessage, recordingUrl: a.recordingUrl,
    };
    const rows: PlannedDelivery[] = [];
    if (input.readyPlan) rows.push(...readyRows(input.readyPlan)); // rendered by its feature: rules, sequences, tracking
    else {
      for (const action of input.definition.actions) rows.push(...(await planAction(input, action, scope, input.lines)));
    }
    const { batchSize } = deps.settings;
    const laneName = laneFor(rows.filter((r) => r.status === 'pending').length, batchSize);
    const lane = deps.queues[laneName];

    // A plan of more than one delivery job is written and queued chunk by chunk, so the first
    // texts go while the rest is written (each chunk commits on its own: a crash part-way is
    // finished by the next planner run, whose ON CONFLICT DO NOTHING writes only what is missing).
    const pipelined = rows.length > batchSize;
    const early: Delivery[] = [];
    if (pipelined) {
      if (a.status === 'queued') await publish(a.accountId, [await deps.engine.setActivationStatus(db, a.id, 'planning')]);
      for (const chunk of planChunks(rows, batchSize)) {
        if (early.length > 0) await deps.yieldBetweenChunks?.();
        const made = await deps.deliveries.insertPlanned(db, a.accountId, a.id, chunk);
        early.push(...made);
        deps.metrics?.reached(made);
        await enqueueDeliveries(lane, pendingOf(made), batchSize);
      }
    }
    // A small plan's rows and the status that sets it running go in one statement when every row
    // is new (one round trip, where a transaction took four). Otherwise the status follows the
    // rows, each committed on its own: a crash in between is planned again, and its ON CONFLICT
    // DO NOTHING writes nothing twice, as for a large plan's chunks. A conference retry's timer
    // commits with the status, in one transaction.
    const needsTx = input.definition.actions.some((x) => x.type === 'conference' && x.retryWithOffDuty);
    const write = async (tx: Queryable) => {
      if (!pipelined && !needsTx) {
        const both = await deps.deliveries.insertPlannedRunning(tx, a.accountId, a.id, rows);
        return both.running ? { created: both.created, recipients: both.running.recipientCount, running: both.running } : setRunning(tx, both.created);
      }
      return setRunning(tx, pipelined ? early : await deps.deliveries.insertPlanned(tx, a.accountId, a.id, rows));
    };
    const setRunning = async (tx: Queryable, created: Delivery[]) => {
      for (const action of input.definition.actions) {
        if (action.type === 'conference' && action.retryWithOffDuty) {
          await deps.engine.insertTimer(tx, {
            activationId: a.id, actionId: action.id, accountId: a.accountId, kind: 'conference_retry', dueAt: new Date(Date.now() + deps.settings.conferenceRetryMs),
          });
        }
      }
      // Every row new (the usual case): counted here, as countRecipients counts them.
      const recipients = created.length === rows.length ? recipientsOf(created) : await deps.engine.countRecipients(tx, a.id);
      const running = await deps.engine.setActivationStatus(tx, a.id, 'running', { recipientCount: recipients });
      return { created, recipients, running };
    };
    const { created, recipients, running } = needsTx ? await withTransaction(db, write) : await write(db);
    // What this run did not queue itself: rows an earlier, interrupted run wrote and left pending.
    const queued = new Set(pendingOf(early));
    const ids = created.length === rows.length ? pendingOf(created) : await deps.deliveries.pendingIds(db, a.id);
    const rest = ids.filter((id) => !queued.has(id));

    // Skips are final at once: show them live; pending rows appear as they are sent (GET lists all).
    // Published first (its commands go to Redis before any of the sends' own changes), awaited below.
    if (!pipelined) deps.metrics?.reached(created);
    const announced = publish(a.accountId, [running, ...created.filter((d) => d.status === 'skipped').map(toChange)]);
    announced.catch(() => undefined); // still thrown by the await below, not reported as unhandled meanwhile
    // A small plan is sent from here at once: no round trip through Redis and a queue worker
    // (bench:latency). Claimed before this job completes, so a crash before the claim runs the
    // job again, and one after it leaves the rows to the sweeper, as for any delivery job. Not
    // claimed here (no free urgent slot in this process): queued on the urgent lane.
    const sentHere = laneName === 'urgent' && rest.length > 0 && deps.sendNow ? await deps.sendNow(rest) : false;
    await announced;
    if (!sentHere) await enqueueDeliveries(lane, rest, batchSize);
    for (const action of input.definition.actions) {
      if (action.type === 'conference' && action.retryWithOffDuty) {
        await deps.queues.timers.add('conference_retry', { activationId: a.id, actionId: action.id, kind: 'conference_retry' }, {
          jobId: `cr-${a.id}-${action.id}`, delay: deps.settings.conferenceRetryMs,
        });
      }
    }
    await deps.engine.markOutboxCompleted(db, a.id);
    // A small plan's rows were queued after it was set running, so their outcomes complete it;
    // with none queued (all skipped, or all sent by an earlier run) it may be done now. A large
    // plan's first chunks may all be sent while it was still `planning`: checked here.
    if (pipelined || queued.size + rest.length === 0) await publish(a.accountId, await deps.engine.completeIfDone(db, [a.id]));
    logger.info({ activationId: a.id, deliveries: rows.length, recipients, queued: queued.size + rest.length }, 'activation planned');
    return { deliveries: rows.length, recipients };
  };

  return { plan };
};

export type Planner = ReturnType<typeof createPlanner>;
