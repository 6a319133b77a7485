import type { Queue } from 'bullmq';
import { withTransaction, type Db } from '../db/db.js';
import { insertPlanned, pendingIds, toChange, type PlannedDelivery } from './deliveries-repo.js';
import { enqueueDeliveries } from './delivery-queue.js';
import type { NotificationExtras } from './notification-extras-port.js';
import type { FeedEvent, FeedPublisher } from './feed.js';
import type { Logger } from '../logger.js';
import type { DeliveryMetrics } from './metrics-port.js';
import type { DeliveryBatchJob, TimerJob } from './queues.js';
import { render } from '../templates/templates.js';
import type { Action, NotificationAction, WebhookAction } from '../workflows/workflow-types.js';
import {
  accountLines, completeIfDone, countRecipients, groupContacts, insertTimer, loadActionExtras, loadPlanInput,
  markOutboxCompleted, saveActionExtras, setActivationStatus, type PlanInput,
} from './engine-repo.js';
import {
  actionGroups, fieldsFor, noExtras, planConference, planNotification, planPager, planWebhook,
  type ActionExtras, type PlanScope, type SendingLine,
} from './plan-rows.js';
import { readyRows } from './ready-plans.js';

export type PlannerDeps = {
  db: Db;
  /** `urgent`: the lane of activations whose deliveries fit in one delivery job (see `laneFor`). */
  queues: { deliveries: Queue<DeliveryBatchJob>; urgent: Queue<DeliveryBatchJob>; timers: Queue<TimerJob> };
  feed: FeedPublisher;
  /** Counts deliveries skipped at planning (final at once). */
  metrics?: Pick<DeliveryMetrics, 'reached'>;
  extras: NotificationExtras;
  settings: { batchSize: number; conferenceRetryMs: number };
  logger: Logger;
};

/**
 * The sending line of an action: the action's own line (conference, pager), else the workflow's
 * code-activation line, else the account's first line (activation lines first, oldest first).
 * A line of another account is never used.
 */
export const sendingLine = (action: Action, input: PlanInput, lines: SendingLine[]): SendingLine | null => {
  const byId = (id: string | null | undefined) => (id ? lines.find((l) => l.id === id) ?? null : null);
  const own = 'lineId' in action ? action.lineId : undefined;
  if (own) return byId(own);
  return byId(input.codeLineId) ?? byId(input.definition.codeActivation?.lineId) ?? lines[0] ?? null;
};

/**
 * The delivery lane of an activation with `pending` deliveries to send: the urgent lane when they
 * all fit in one delivery job (an emergency to a team, a reply, a sequence step), the bulk queue
 * otherwise (a broadcast). The urgent lane has its own workers and send slots, so a small
 * activation is never queued behind a large one's batches; per-line pacing applies to both.
 */
export const laneFor = (pending: number, batchSize: number): 'urgent' | 'deliveries' => (pending <= batchSize ? 'urgent' : 'deliveries');

export const createPlanner = (deps: PlannerDeps) => {
  const { db, extras, logger } = deps;

  /** Prompt output and poll, computed once per action per activation and stored. */
  const actionExtras = async (input: PlanInput, action: (NotificationAction | WebhookAction) & { id: string }, scope: PlanScope): Promise<ActionExtras> => {
    const a = input.activation;
    let e = await loadActionExtras(db, a.id, action.id);
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
      e = await saveActionExtras(db, a.accountId, a.id, action.id, fresh);
    }
    if (action.type === 'notification' && action.attachmentId && extras.attachments) {
      e = { ...e, attachmentUrl: await extras.attachments.shortUrl(a.accountId, action.attachmentId).catch(() => null) };
    }
    return e;
  };

  const planAction = async (input: PlanInput, action: Action & { id: string }, scope: PlanScope, lines: SendingLine[]): Promise<PlannedDelivery[]> => {
    const line = sendingLine(action, input, lines);
    const groups = actionGroups(action);
    const withPush = action.type === 'notification' && action.channels.includes('push');
    const contacts = groups ? await groupContacts(db, input.activation.accountId, groups.groupIds, groups.includeOffDuty, withPush) : [];
    switch (action.type) {
      case 'notification':
        return planNotification(action, contacts, scope, await actionExtras(input, action, scope), line, extras.push);
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
    const input = await loadPlanInput(db, activationId);
    const a = input?.activation;
    if (!input || !a || a.status === 'completed' || a.status === 'failed') {
      await markOutboxCompleted(db, activationId);
      return null;
    }
    // A ready plan has nothing to expand (no groups, prompts, polls): it goes from queued to running with its rows.
    if (a.status === 'queued' && !input.readyPlan) await publish(a.accountId, [await setActivationStatus(db, a.id, 'planning')]);
    const scope: PlanScope = {
      activationId: a.id, workflowName: input.workflowName, placeholders: a.placeholders,
      inboundMessage: a.inboundMessage, recordingUrl: a.recordingUrl,
    };
    const rows: PlannedDelivery[] = [];
    if (input.readyPlan) rows.push(...readyRows(input.readyPlan)); // rendered by its feature: rules, sequences, tracking
    else {
      const lines = await accountLines(db, a.accountId);
      for (const action of input.definition.actions) rows.push(...(await planAction(input, action, scope, lines)));
    }

    const { created, recipients, running } = await withTransaction(db, async (tx) => {
      const created = await insertPlanned(tx, a.accountId, a.id, rows);
      for (const action of input.definition.actions) {
        if (action.type === 'conference' && action.retryWithOffDuty) {
          await insertTimer(tx, { activationId: a.id, actionId: action.id, accountId: a.accountId, kind: 'conference_retry', dueAt: new Date(Date.now() + deps.settings.conferenceRetryMs) });
        }
      }
      const recipients = await countRecipients(tx, a.id);
      const running = await setActivationStatus(tx, a.id, 'running', { recipientCount: recipients });
      return { created, recipients, running };
    });
    // Skips are final at once: show them live; pending rows appear as they are sent (GET lists all).
    deps.metrics?.reached(created);
    await publish(a.accountId, [running, ...created.filter((d) => d.status === 'skipped').map(toChange)]);

    const ids = await pendingIds(db, a.id);
    await enqueueDeliveries(deps.queues[laneFor(ids.length, deps.settings.batchSize)], ids, deps.settings.batchSize);
    for (const action of input.definition.actions) {
      if (action.type === 'conference' && action.retryWithOffDuty) {
        await deps.queues.timers.add('conference_retry', { activationId: a.id, actionId: action.id, kind: 'conference_retry' }, {
          jobId: `cr-${a.id}-${action.id}`, delay: deps.settings.conferenceRetryMs,
        });
      }
    }
    await markOutboxCompleted(db, a.id);
    const done = await completeIfDone(db, [a.id]);
    await publish(a.accountId, done);
    logger.info({ activationId: a.id, deliveries: rows.length, recipients, queued: ids.length }, 'activation planned');
    return { deliveries: rows.length, recipients };
  };

  return { plan };
};

export type Planner = ReturnType<typeof createPlanner>;
