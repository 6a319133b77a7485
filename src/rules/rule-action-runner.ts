import type { ActivationService } from '../engine/activation-service.js';
import { withTransaction, type Db } from '../db/db.js';
import type { PoolClient } from 'pg';
import { AppError } from '../errors.js';
import type { ContactChangeHook } from '../events/contact-events.js';
import type { DomainEvent } from '../events/event-types.js';
import type { EventsRepo } from '../events/events-repo.js';
import type { Logger } from '../logger.js';
import { fillFields } from '../templates/templates.js';
import type { Clock } from '../clock.js';
import type { DncRepo } from './dnc-repo.js';
import { templateFields, type ContactSnapshot } from './fields.js';
import { runLocalAction, type LocalActionRepos } from './local-actions.js';
import type { PendingAction, PendingRepo } from './pending-repo.js';
import { stopReason } from './rule-context.js';
import type { RuleContextRepo } from './rule-context-repo.js';
import type { RuleLogsRepo } from './rule-logs-repo.js';
import type { ActivationDispatcher, RuleDeliverySender, RuleSend } from './rule-delivery-sender.js';
import { actionById, type RulesRepo } from './rules-repo.js';
import type { CallbackActions } from './callback-actions.js';
import { callbackActionTypes, localActionTypes, type Rule, type RuleAction } from './rule-types.js';
import { inWindow, nextInWindow } from './schedule-math.js';
import { runSequenceAction, type RuleSequences } from './sequence-actions.js';
import { sequenceActionTypes } from './rule-types.js';

export type RuleActionRunnerDeps = {
  db: Db;
  pending: Pick<PendingRepo, 'claimForRun' | 'finishPending' | 'reschedulePending' | 'cancelPendingForRule' | 'lockPendingStatus'>;
  rules: Pick<RulesRepo, 'findRule'>;
  ruleLogs: Pick<RuleLogsRepo, 'insertLog'>;
  context: Pick<RuleContextRepo, 'loadAccount' | 'loadContact' | 'hasLiveCall' | 'findSendingLine'>;
  dnc: Pick<DncRepo, 'isDoNotContact'>;
  events: Pick<EventsRepo, 'findEvent'>;
  /** What local actions (status, fields, lists, do-not-contact, revenue) write through. */
  local: LocalActionRepos;
  clock: Clock;
  sender: RuleDeliverySender;
  /** Fast path to the delivery queue; without it the engine's sweeper queues the delivery. */
  /** The outbox relay's fast path: a send's activation is planned at once after commit. */
  plans?: ActivationDispatcher;
  activations?: Pick<ActivationService, 'activate'>;
  onContactChanged: ContactChangeHook;
  /** Hands events raised by local actions to the event queue after commit (else the sweeper does). */
  dispatchEvents?: (ids: string[]) => Promise<void>;
  /** enroll_sequence / unenroll_sequence (without it these actions fail, logged). */
  sequences?: RuleSequences;
  logger: Logger;
  retry: { maxAttempts: number; baseDelayMs: number };
  /** schedule_callback, place_call, update_callback; `placeDue` starts callbacks due at once (fast path). */
  callbacks?: { actions: CallbackActions; placeDue(ids: string[]): Promise<number> };
};

class Skip extends Error {}

/**
 * Runs one pending rule action: claims it (queued -> running, once), re-checks the rule, the
 * action's active toggle, stop-if, the schedule window and live calls, then executes it.
 * Local writes commit together with the log line; sends are at most once (see recoverStale).
 */
export const createRuleActionRunner = (deps: RuleActionRunnerDeps) => {
  const { db, clock, pending, context } = deps;

  const log = (p: PendingAction, outcome: string, detail: Record<string, unknown>, q: Db | PoolClient = db) =>
    deps.ruleLogs.insertLog(q, {
      accountId: p.accountId, ruleId: p.ruleId, contactId: p.contactId, eventId: p.eventId, kind: 'action', outcome,
      actionId: p.actionId, actionType: p.actionType, pendingId: p.id, detail, at: clock.now(),
    });

  // The pending row's end and its log line commit together: whoever sees the action finished
  // also sees why (and a crash between the two cannot leave a finished action unlogged).
  const endIn = async (tx: PoolClient, p: PendingAction, status: 'done' | 'failed' | 'cancelled' | 'skipped', outcome: string, detail: Record<string, unknown>) => {
    await pending.finishPending(tx, p.id, status, typeof detail.reason === 'string' ? detail.reason : null, clock.now());
    await log(p, outcome, detail, tx);
  };
  const end = async (p: PendingAction, status: 'done' | 'failed' | 'cancelled' | 'skipped', outcome: string, detail: Record<string, unknown>) => {
    await withTransaction(db, (tx) => endIn(tx, p, status, outcome, detail));
  };

  // Which line sends (src/engine/sending-line.ts): the action's line (gone: skipped, no_line),
  // else the line the event came in on, else the oldest activation line, else the oldest line.
  const lineFor = (accountId: string, lineId: string | undefined, event: DomainEvent | null) =>
    context.findSendingLine(db, accountId, {
      named: lineId ?? null, preferred: [typeof event?.data.lineId === 'string' ? event.data.lineId : null],
    });

  /** The delivery a send action becomes, rendered; throws Skip when it must not be sent. */
  const buildSend = async (p: PendingAction, rule: Rule, a: RuleAction, contact: ContactSnapshot | null, event: DomainEvent | null): Promise<RuleSend> => {
    const fields = templateFields(contact, event);
    const base = {
      accountId: p.accountId, key: `rule:${p.id}`, actionId: `rule-${rule.id}-${a.id}`, contactId: contact?.id ?? null,
      context: { ruleId: rule.id, ruleActionId: a.id, eventId: p.eventId, pendingActionId: p.id, contactId: contact?.id ?? null },
    };
    if (a.type === 'http') {
      const url = fillFields(a.url, Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, encodeURIComponent(v)])));
      const body = a.body === undefined ? null : fillFields(a.body, fields, 'json');
      return { ...base, channel: 'webhook', recipientKey: 'webhook', address: null, payload: { method: a.method, url, body, authorizationSealed: a.authorizationSealed ?? null } };
    }
    if (!contact) throw new Skip('no_contact');
    const channel = a.type === 'email' ? 'email' : a.type === 'sms' ? 'sms' : 'voice';
    const address = channel === 'email' ? contact.email : contact.phone;
    if (!address) throw new Skip(channel === 'email' ? 'no_email' : 'no_phone');
    if (contact.doNotContact || contact.optedOutChannels.includes(channel) || (channel !== 'email' && (await deps.dnc.isDoNotContact(db, p.accountId, address)))) {
      throw new Skip('do_not_contact');
    }
    if (a.type === 'email') {
      return { ...base, channel, recipientKey: contact.id, address, payload: { subject: fillFields(a.subject, fields), text: fillFields(a.message, fields) } };
    }
    if (a.type !== 'sms' && a.type !== 'voice') throw new Error(`${a.type} is not a send action`);
    const line = await lineFor(p.accountId, a.lineId, event);
    if (!line) throw new Skip('no_line');
    const message = fillFields(a.message, fields);
    const payload = channel === 'sms' ? { body: message, lineId: line.id, from: line.phoneNumber } : { text: message, lineId: line.id, from: line.phoneNumber };
    return { ...base, channel, recipientKey: contact.id, address, payload };
  };

  /** Creates the delivery and finishes the action in one transaction: sent once, whatever crashes. */
  const runSend = async (p: PendingAction, send: RuleSend) => {
    const out = await withTransaction(db, async (tx) => {
      if ((await pending.lockPendingStatus(tx, p.id)) !== 'running') return null;
      const r = await deps.sender.send(tx, send);
      await endIn(tx, p, 'done', 'executed', { channel: send.channel, deliveryId: r.deliveryId, activationId: r.activationId });
      return r;
    });
    if (out?.created) await deps.plans?.dispatch([out.activationId]).catch((err: unknown) => deps.logger.warn({ err }, 'send fast path failed; the outbox sweeper will queue it'));
  };

  const activate = async (p: PendingAction, rule: Rule, a: Extract<RuleAction, { type: 'activate_workflow' }>, contact: ContactSnapshot | null, event: DomainEvent | null) => {
    if (!deps.activations) throw new Error('workflow activation is not configured');
    const fields = templateFields(contact, event);
    const placeholders = Object.fromEntries(Object.entries(a.placeholders).map(([k, v]) => [k, fillFields(v, fields)]));
    const res = await deps.activations.activate({
      accountId: p.accountId, workflowId: a.workflowId, source: 'rule',
      // Deterministic: a retried or re-run action finds the first activation instead of sending again.
      idempotencyKey: `rule:${rule.id}:${p.eventId}:${a.id}`,
      placeholders,
      context: { ruleId: rule.id, eventId: p.eventId, contactId: contact?.id ?? null, pendingActionId: p.id },
    });
    return { activationId: res.activation.id, created: res.created };
  };

  /**
   * Runs `work` in one transaction with the pending row locked and still `running`, and the
   * contact loaded (`lockContact`: row-locked for writing); null when the row moved on. Events the
   * work raised go to the event queue after commit.
   */
  const inClaimedTx = async <R extends { eventIds: string[] }>(
    p: PendingAction, lockContact: boolean, work: (tx: PoolClient, contact: ContactSnapshot | null) => Promise<R>,
  ): Promise<R | null> => {
    const result = await withTransaction(db, async (tx) => {
      if ((await pending.lockPendingStatus(tx, p.id)) !== 'running') return null;
      return work(tx, p.contactId ? await context.loadContact(tx, p.accountId, p.contactId, lockContact) : null);
    });
    if (result?.eventIds.length) await deps.dispatchEvents?.(result.eventIds).catch(() => undefined);
    return result;
  };

  /** A local action: its writes, its events and the action's end commit together. */
  const runLocal = async (p: PendingAction, rule: Rule, a: RuleAction, event: DomainEvent | null) => {
    await inClaimedTx(p, true, async (tx, contact) => {
      if (!contact) return (await endIn(tx, p, 'skipped', 'skipped', { reason: 'no_contact' }), { eventIds: [] });
      const r = await runLocalAction({
        tx, action: a, ruleId: rule.id, pendingId: p.id, chainDepth: p.chainDepth, contact, event, now: clock.now(),
        onContactChanged: deps.onContactChanged, repos: deps.local,
      });
      await endIn(tx, p, 'done', 'executed', r.detail);
      return r;
    });
  };

  /** A callback action: the callback row, its event and the action's end commit together. */
  const runCallback = async (p: PendingAction, rule: Rule, a: RuleAction, event: DomainEvent | null) => {
    if (!deps.callbacks) throw new Error('callbacks are not configured');
    const cb = deps.callbacks;
    const result = await inClaimedTx(p, false, async (tx, contact) => {
      const r = contact
        ? await cb.actions.run({ tx, pending: p, rule, action: a as Parameters<CallbackActions['run']>[0]['action'], contact, event, now: clock.now() })
        : { outcome: 'skipped' as const, detail: { reason: 'no_contact' }, eventIds: [], dueNow: [] };
      await endIn(tx, p, r.outcome === 'executed' ? 'done' : 'skipped', r.outcome, r.detail);
      return r;
    });
    if (result?.dueNow.length) await cb.placeDue(result.dueNow).catch((err) => deps.logger.warn({ err }, 'callback fast path failed; the poll will place it'));
  };

  /** Executes the pending action `id` if it is still queued. Never throws for a business outcome. */
  const run = async (id: string): Promise<void> => {
    const p = await pending.claimForRun(db, id, clock.now());
    if (!p) return;
    const rule = await deps.rules.findRule(db, p.accountId, p.ruleId, { withDeleted: true });
    const action = rule ? actionById(rule, p.actionId) : undefined;
    if (!rule || !rule.enabled) return end(p, 'cancelled', 'cancelled', { reason: 'rule_disabled' });
    if (!action || !action.active) return end(p, 'cancelled', 'cancelled', { reason: 'action_inactive' });
    const account = await context.loadAccount(db, p.accountId);
    if (!account) return end(p, 'cancelled', 'cancelled', { reason: 'no_account' });
    const contact = p.contactId ? await context.loadContact(db, p.accountId, p.contactId) : null;
    const now = clock.now();
    const stop = stopReason(rule.stopIf, contact, account, { now, timezone: account.timezone });
    if (stop && contact) {
      await end(p, 'cancelled', 'cancelled', { reason: `stop_if:${stop}` });
      await pending.cancelPendingForRule(db, p.accountId, rule.id, `stop_if:${stop}`, { contactId: contact.id, at: now });
      return;
    }
    const window = action.window ?? rule.window;
    // A callback is booked at once; the window applies to the time it rings (callback-actions.ts).
    if (action.type !== 'schedule_callback' && !inWindow(now, window, account.timezone)) {
      const next = nextInWindow(now, window, account.timezone);
      await pending.reschedulePending(db, p.id, next, 'outside_window', now);
      await log(p, 'deferred', { reason: 'outside_window', window, dueAt: next.toISOString() });
      return;
    }
    if (action.skipIfLiveCall && contact && (await context.hasLiveCall(db, contact, now))) return end(p, 'skipped', 'skipped', { reason: 'live_call' });
    const event = await deps.events.findEvent(db, p.eventId);
    try {
      if (sequenceActionTypes.has(action.type)) {
        if (!deps.sequences) throw new Error('sequence actions are not configured');
        const r = await runSequenceAction(deps.sequences, { accountId: p.accountId, ruleId: rule.id, eventId: p.eventId, action, contact, event });
        return await end(p, r.status, r.outcome, r.detail);
      }
      if (localActionTypes.has(action.type)) return await runLocal(p, rule, action, event);
      if (callbackActionTypes.has(action.type)) return await runCallback(p, rule, action, event);
      if (action.type !== 'activate_workflow') return await runSend(p, await buildSend(p, rule, action, contact, event));
      await end(p, 'done', 'executed', await activate(p, rule, action, contact, event));
    } catch (err) {
      if (err instanceof Skip) return end(p, 'skipped', 'skipped', { reason: err.message });
      // 4xx domain errors (paused or missing workflow, missing placeholders) will not heal by waiting.
      const retryable = !(err instanceof AppError && err.status < 500) && !(err as { permanent?: boolean }).permanent;
      const message = err instanceof Error ? err.message : String(err);
      const code = err instanceof AppError ? err.code : null;
      if (retryable && p.attempts < deps.retry.maxAttempts) {
        const delay = Math.min(deps.retry.baseDelayMs * 2 ** (p.attempts - 1), 10 * 60_000);
        const at = new Date(clock.now().getTime() + delay);
        await pending.reschedulePending(db, p.id, at, 'retry', clock.now());
        await log(p, 'deferred', { reason: 'retry', attempt: p.attempts, error: message, code, dueAt: at.toISOString() });
        return;
      }
      deps.logger.warn({ err, pendingActionId: p.id, ruleId: p.ruleId }, 'rule action failed');
      await end(p, 'failed', 'failed', { reason: 'error', error: message, code, attempts: p.attempts });
    }
  };

  return { run };
};
export type RuleActionRunner = ReturnType<typeof createRuleActionRunner>;
