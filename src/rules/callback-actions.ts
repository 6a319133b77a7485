import type { PoolClient } from 'pg';
import type { DomainEvent } from '../events/event-types.js';
import { fillFields } from '../templates/templates.js';
import type { CallbackCalls } from './callback-calls.js';
import { callableAt, callbackHours, type CallbackHours } from './callback-timing.js';
import type { Callback, CallbacksRepo } from './callbacks-repo.js';
import type { DncRepo } from './dnc-repo.js';
import { templateFields, type ContactSnapshot } from './fields.js';
import type { PendingAction } from './pending-repo.js';
import type { Rule, RuleAction, ScheduleWindow } from './rule-types.js';
import { actionDueAt } from './schedule-math.js';

type CallbackAction = Extract<RuleAction, { type: 'schedule_callback' | 'place_call' | 'update_callback' }>;

/** What a callback action did: the log line, events to hand on, callbacks due at once. */
export type CallbackActionResult = { outcome: 'executed' | 'skipped'; detail: Record<string, unknown>; eventIds: string[]; dueNow: string[] };

export type CallbackActionInput = {
  tx: PoolClient;
  pending: PendingAction;
  rule: Rule;
  action: CallbackAction;
  contact: ContactSnapshot;
  event: DomainEvent | null;
  now: Date;
};

const skipped = (reason: string, extra: Record<string, unknown> = {}): CallbackActionResult => ({ outcome: 'skipped', detail: { reason, ...extra }, eventIds: [], dueNow: [] });

export type CallbackActionsDeps = {
  calls: Pick<CallbackCalls, 'raise'>;
  callbacks: Pick<CallbacksRepo,
    'accountTiming' | 'findCallback' | 'insertCallback' | 'moveCallback' | 'nextScheduledFor' | 'finishCallback'>;
  dnc: Pick<DncRepo, 'isDoNotContact'>;
};

/**
 * Runs schedule_callback, place_call and update_callback in the rule runner's transaction (with
 * the pending row locked), so the callback row, its `callback.scheduled` / `callback.failed`
 * event and the action's `done` state commit together: a re-run books nothing twice
 * (`callbacks.pending_id` is unique).
 *
 * - schedule_callback: due at the action's timing counted from the trigger (delay, or relative to
 *   a contact date field such as `contact.lastCalledAt`), then moved out of quiet hours and into
 *   the schedule window. place_call: due now; in quiet hours it is refused (`quiet_hours`): a
 *   "call now" that rang hours later would surprise the agent.
 * - A do-not-contact contact: the callback is stored `failed` (`do_not_contact`), the refusal is
 *   logged and `callback.failed` raised.
 * - update_callback: moves (`moveBy` from now, same hours rules) or cancels one scheduled callback.
 */
export const createCallbackActions = (deps: CallbackActionsDeps) => {
  const hoursOf = async (tx: PoolClient, c: ContactSnapshot, window: ScheduleWindow): Promise<CallbackHours> =>
    callbackHours(await deps.callbacks.accountTiming(tx, c.accountId), window, c.timezone);

  const book = async (i: CallbackActionInput, a: Extract<CallbackAction, { type: 'schedule_callback' | 'place_call' }>): Promise<CallbackActionResult> => {
    const { tx, pending: p, contact, now } = i;
    if (!contact.phone) return skipped('no_phone');
    const window = a.window ?? i.rule.window;
    let dueAt = now;
    let moved: string | null = null;
    let refusal: string | null = null;
    if (a.type === 'schedule_callback') {
      // Counted from the trigger (the pending row's creation), not from when a worker got to it.
      const due = actionDueAt(a.timing, p.createdAt, contact);
      if ('skip' in due) return skipped(due.skip);
      const when = callableAt(new Date(Math.max(due.dueAt.getTime(), now.getTime())), await hoursOf(tx, contact, window));
      dueAt = when.at;
      moved = when.reason;
    } else if (callableAt(now, await hoursOf(tx, contact, 'always')).reason) {
      refusal = 'quiet_hours';
    }
    const dnc = contact.doNotContact || contact.optedOutChannels.includes('voice')
      || (await deps.dnc.isDoNotContact(tx, p.accountId, contact.phone));
    if (dnc) refusal = 'do_not_contact';
    const whisper = fillFields(a.whisper, templateFields(contact, i.event));
    const c = await deps.callbacks.insertCallback(tx, {
      accountId: p.accountId, contactId: contact.id, ruleId: i.rule.id, pendingId: p.id, actionId: a.id, eventId: p.eventId,
      chainDepth: p.chainDepth, kind: a.type === 'place_call' ? 'immediate' : 'scheduled', lineId: a.lineId,
      agentGroupId: a.agentGroupId ?? null, agentNumber: a.agentNumber ?? null, whisper, window, dueAt,
      ...(refusal ? { status: 'failed' as const, reason: refusal } : {}),
    }, now);
    if (!c) return skipped('already_booked');
    if (refusal) {
      const ev = await deps.calls.raise(tx, c, 'callback.failed', { agent: null, reason: refusal });
      return { outcome: 'skipped', detail: { reason: refusal, callbackId: c.id }, eventIds: ev ? [ev] : [], dueNow: [] };
    }
    const ev = await deps.calls.raise(tx, c, 'callback.scheduled', { dueAt: c.dueAt.toISOString() });
    return {
      outcome: 'executed', detail: { callbackId: c.id, dueAt: c.dueAt.toISOString(), ...(moved ? { moved } : {}) },
      eventIds: ev ? [ev] : [], dueNow: c.dueAt.getTime() <= now.getTime() ? [c.id] : [],
    };
  };

  const target = async (i: CallbackActionInput, a: Extract<CallbackAction, { type: 'update_callback' }>): Promise<Callback | null> => {
    if (!a.callbackId) return deps.callbacks.nextScheduledFor(i.tx, i.pending.accountId, i.contact.id);
    const id = a.callbackId === 'event.callbackId' ? i.event?.data.callbackId : a.callbackId;
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) return null;
    const c = await deps.callbacks.findCallback(i.tx, i.pending.accountId, id, true);
    return c && c.contactId === i.contact.id ? c : null;
  };

  const update = async (i: CallbackActionInput, a: Extract<CallbackAction, { type: 'update_callback' }>): Promise<CallbackActionResult> => {
    const c = await target(i, a);
    if (!c) return skipped('no_callback');
    if (c.status !== 'scheduled') return skipped(`callback_${c.status}`, { callbackId: c.id });
    if (a.operation === 'cancel') {
      await deps.callbacks.finishCallback(i.tx, c.id, ['scheduled'], 'cancelled', { reason: 'rule' }, i.now);
      return { outcome: 'executed', detail: { callbackId: c.id, cancelled: true }, eventIds: [], dueNow: [] };
    }
    const m = a.moveBy!;
    const wanted = new Date(i.now.getTime() + ((m.days * 24 + m.hours) * 60 + m.minutes) * 60_000);
    const when = callableAt(wanted, await hoursOf(i.tx, i.contact, c.window as ScheduleWindow));
    await deps.callbacks.moveCallback(i.tx, c.id, when.at, when.reason ?? 'moved', i.now);
    return { outcome: 'executed', detail: { callbackId: c.id, from: c.dueAt.toISOString(), dueAt: when.at.toISOString() }, eventIds: [], dueNow: [] };
  };

  const run = (i: CallbackActionInput): Promise<CallbackActionResult> =>
    i.action.type === 'update_callback' ? update(i, i.action) : book(i, i.action);

  return { run };
};
export type CallbackActions = ReturnType<typeof createCallbackActions>;
