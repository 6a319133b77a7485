import type { PoolClient } from 'pg';
import { withTransaction, type Db, type Queryable } from '../db/db.js';
import type { EventPublisher } from '../events/event-types.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../clock.js';
import { callableAt, callbackHours } from './callback-timing.js';
import type { Callback, CallbacksRepo, CallbackStatus } from './callbacks-repo.js';
import type { DncRepo } from './dnc-repo.js';
import type { ActivationDispatcher, RuleDeliverySender } from './rule-delivery-sender.js';
import type { ScheduleWindow } from './rule-types.js';

/** Why a callback did not connect (event `callback.failed`, `reason`). */
export type CallbackFailure =
  | 'no_answer' | 'busy' | 'failed' | 'agent_unavailable' | 'agent_hung_up' | 'do_not_contact' | 'quiet_hours' | 'no_phone' | 'no_line';

export type CallbackCallsDeps = {
  db: Db;
  callbacks: Pick<CallbacksRepo,
    'accountTiming' | 'callbackLine' | 'callbackContact' | 'findCallbackByDelivery' | 'finishCallback' | 'groupAgents' | 'lockDue' | 'lockHungUp'
    | 'lockUnanswered' | 'markAnswered' | 'markCalling' | 'moveCallback' | 'stampLastCalled'>;
  dnc: Pick<DncRepo, 'isDoNotContact'>;
  clock: Clock;
  sender: RuleDeliverySender;
  plans: ActivationDispatcher;
  publisher: EventPublisher;
  /** Hands committed events to the event queue (else the outbox sweeper does). */
  dispatchEvents?: (ids: string[]) => Promise<void>;
  logger: Logger;
};

/** What the agent who answered hears and who is dialled next (`connect`), or why not. */
export type CallbackConnect =
  | { ok: true; callbackId: string; whisper: string; contactNumber: string; callerId: string }
  | { ok: false; reason: 'not_found' | 'not_calling' | 'do_not_contact' };

/** How the `<Dial>` to the contact ended, from the carrier's Dial action. */
export type DialEnd = { status: string; durationSeconds: number };

const dialReason = (s: string): CallbackFailure => (s === 'busy' ? 'busy' : s === 'no-answer' || s === 'canceled' ? 'no_answer' : 'failed');

/**
 * Places callbacks through the action engine: at its due time a callback is claimed
 * (`scheduled -> calling`, SKIP LOCKED) in the same transaction as the agent call's delivery (a
 * "Rule sends" voice delivery, key `callback:<id>:<n>`), so it is placed once whatever the number
 * of workers, with the engine's pacing, SID recording and status callbacks. **Agent first**: the
 * agent hears the whisper, then the contact is dialled with the line's number as caller ID — the
 * contact never waits on hold for an agent. Unanswered agents are rung one after another; the
 * Dial action settles the outcome. Every end raises `callback.completed` / `callback.failed`
 * in the transaction that records it (idempotency key `callback.<outcome>:<id>`).
 */
export const createCallbackCalls = (deps: CallbackCallsDeps) => {
  const { db, clock, callbacks: repo } = deps;

  const raise = async (q: Queryable, c: Callback, type: string, data: Record<string, unknown>): Promise<string | null> => {
    const r = await deps.publisher.publish(q, {
      accountId: c.accountId, type, contactId: c.contactId, idempotencyKey: `${type}:${c.id}`,
      causedByRule: c.ruleId, chainDepth: c.chainDepth + 1,
      data: { callbackId: c.id, ruleId: c.ruleId, lineId: c.lineId, kind: c.kind, ...data },
    });
    return r.created ? r.event.id : null;
  };

  /** Ends a callback once and raises its event in the same transaction. */
  const finish = async (
    q: PoolClient, c: Callback, from: CallbackStatus[], outcome: 'completed' | 'failed', fields: { reason?: CallbackFailure; talkSeconds?: number },
  ): Promise<{ callback: Callback; eventId: string | null } | null> => {
    const done = await repo.finishCallback(q, c.id, from, outcome, fields, clock.now());
    if (!done) return null;
    const agent = done.answeredBy ?? done.agents[done.agentIndex] ?? null;
    const data = outcome === 'completed' ? { agent, talkSeconds: fields.talkSeconds ?? 0 } : { agent, reason: fields.reason };
    return { callback: done, eventId: await raise(q, done, `callback.${outcome}`, data) };
  };

  const afterCommit = async (events: Array<string | null>, activationIds: string[]) => {
    const ids = events.filter((e): e is string => !!e);
    if (ids.length > 0) await deps.dispatchEvents?.(ids).catch(() => undefined);
    if (activationIds.length > 0) await deps.plans.dispatch(activationIds).catch((err: unknown) => deps.logger.warn({ err }, 'callback call fast path failed'));
  };

  /**
   * Sends the call to agent `index` (a ready plan: its delivery id is known now, the row is written
   * by the planner) and points the callback at it. Returns the activation to hand to the relay.
   */
  const callAgent = async (tx: PoolClient, c: Callback, agents: string[], index: number, line: { id: string; number: string }, contactNumber: string) => {
    const r = await deps.sender.send(tx, {
      accountId: c.accountId, key: `callback:${c.id}:${index}`, actionId: `callback-${c.id}`, channel: 'voice',
      // The delivery goes to the agent; the contact is named in the payload and checked again when the agent answers.
      contactId: null, recipientKey: `agent:${index}`, address: agents[index]!,
      payload: { text: c.whisper, lineId: line.id, from: line.number, callback: { id: c.id, contactNumber } },
      context: { callbackId: c.id, ruleId: c.ruleId, contactId: c.contactId, pendingActionId: c.pendingId, agentIndex: index },
    });
    await repo.markCalling(tx, c.id, agents, index, r.deliveryId, clock.now());
    return r.created ? [r.activationId] : [];
  };

  /**
   * The contact of a callback and whether they may be called: do-not-contact (flag or list) or
   * opted out of voice. Asked when the callback starts and again when the agent answers.
   */
  const callableContact = async (tx: PoolClient, c: Callback) => {
    const row = await repo.callbackContact(tx, c.contactId);
    if (!row) return null;
    const refused = row.doNotContact || row.optedOutChannels.includes('voice') || (row.phone && (await deps.dnc.isDoNotContact(tx, c.accountId, row.phone)));
    return { phone: row.phone, timezone: row.timezone, refused: Boolean(refused) };
  };

  /** Claims one due callback (locked by the caller) and starts it, or moves / fails it. */
  const start = async (tx: PoolClient, c: Callback): Promise<{ events: Array<string | null>; sends: string[] }> => {
    const fail = async (reason: CallbackFailure) => ({ events: [(await finish(tx, c, ['scheduled'], 'failed', { reason }))?.eventId ?? null], sends: [] });
    const contact = await callableContact(tx, c);
    if (!contact?.phone) return fail('no_phone');
    if (contact.refused) return fail('do_not_contact');
    const acct = await repo.accountTiming(tx, c.accountId);
    const now = clock.now();
    const when = callableAt(now, callbackHours(acct, c.window as ScheduleWindow, contact.timezone));
    if (when.at.getTime() > now.getTime()) {
      // Settings may have changed since it was booked: a callback waits; a call-now is refused.
      if (c.kind === 'immediate') return fail('quiet_hours');
      await repo.moveCallback(tx, c.id, when.at, when.reason, now);
      return { events: [], sends: [] };
    }
    const line = await repo.callbackLine(tx, c.accountId, c.lineId);
    if (!line) return fail('no_line');
    const agents = c.agentNumber ? [c.agentNumber] : c.agentGroupId ? await repo.groupAgents(tx, c.accountId, c.agentGroupId, contact.phone) : line.forwardTo;
    if (agents.length === 0) return fail('agent_unavailable');
    return { events: [], sends: await callAgent(tx, c, agents, 0, line, contact.phone) };
  };

  /** Starts due callbacks (`ids`: only these, the fast path). Returns how many were handled. */
  const placeDue = async (ids?: string[], limit = 50): Promise<number> => {
    const out = await withTransaction(db, async (tx) => {
      const due = await repo.lockDue(tx, clock.now(), limit, ids);
      const events: Array<string | null> = [];
      const sends: string[] = [];
      for (const c of due) {
        const r = await start(tx, c);
        events.push(...r.events);
        sends.push(...r.sends);
      }
      return { n: due.length, events, sends };
    });
    await afterCommit(out.events, out.sends);
    return out.n;
  };

  /**
   * Agent calls that ended unanswered: ring the next agent, or fail with `agent_unavailable`; an
   * answered agent call that ended over a minute ago without a Dial outcome fails `agent_hung_up`.
   */
  const nextAgents = async (limit = 50): Promise<number> => {
    const out = await withTransaction(db, async (tx) => {
      const rows = await repo.lockUnanswered(tx, limit);
      const events: Array<string | null> = [];
      const sends: string[] = [];
      for (const c of await repo.lockHungUp(tx, 60, limit)) {
        events.push((await finish(tx, c, ['calling'], 'failed', { reason: 'agent_hung_up' }))?.eventId ?? null);
      }
      for (const c of rows) {
        const line = await repo.callbackLine(tx, c.accountId, c.lineId);
        const phone = (await repo.callbackContact(tx, c.contactId))?.phone;
        if (line && phone && c.agentIndex + 1 < c.agents.length) sends.push(...(await callAgent(tx, c, c.agents, c.agentIndex + 1, line, phone)));
        else events.push((await finish(tx, c, ['calling'], 'failed', { reason: 'agent_unavailable' }))?.eventId ?? null);
      }
      return { n: rows.length, events, sends };
    });
    await afterCommit(out.events, out.sends);
    return out.n;
  };

  /**
   * The agent answered (the carrier fetched the call's TwiML): re-checks the callback is still
   * calling and the contact still callable, records who answered, and says whom to dial.
   */
  const connect = async (deliveryId: string): Promise<CallbackConnect> => {
    const out = await withTransaction(db, async (tx) => {
      const c = await repo.findCallbackByDelivery(tx, deliveryId, true);
      if (!c) return { r: { ok: false, reason: 'not_found' } as CallbackConnect, events: [] };
      if (c.status !== 'calling') return { r: { ok: false, reason: 'not_calling' } as CallbackConnect, events: [] };
      const contact = await callableContact(tx, c);
      if (!contact?.phone || contact.refused) {
        const f = await finish(tx, c, ['calling'], 'failed', { reason: 'do_not_contact' });
        return { r: { ok: false, reason: 'do_not_contact' } as CallbackConnect, events: [f?.eventId ?? null] };
      }
      const agent = c.agents[c.agentIndex] ?? '';
      await repo.markAnswered(tx, c.id, agent, clock.now());
      await repo.stampLastCalled(tx, c.contactId, clock.now());
      const line = await repo.callbackLine(tx, c.accountId, c.lineId);
      return { r: { ok: true, callbackId: c.id, whisper: c.whisper, contactNumber: contact.phone, callerId: line?.number ?? '' } as CallbackConnect, events: [] };
    });
    await afterCommit(out.events, []);
    return out.r;
  };

  /** The Dial to the contact ended: completed when the contact answered, else failed with the reason. Once. */
  const dialEnded = async (deliveryId: string, end: DialEnd): Promise<{ outcome: 'completed' | 'failed' | 'unknown'; reason?: CallbackFailure }> => {
    const out = await withTransaction(db, async (tx) => {
      const c = await repo.findCallbackByDelivery(tx, deliveryId, true);
      if (!c) return { r: { outcome: 'unknown' as const }, events: [] };
      const answered = end.status === 'completed' || end.status === 'answered';
      const reason = answered ? undefined : dialReason(end.status);
      const f = await finish(tx, c, ['calling'], answered ? 'completed' : 'failed', answered ? { talkSeconds: end.durationSeconds } : { reason });
      const outcome = f ? f.callback.status as 'completed' | 'failed' : c.status === 'completed' ? 'completed' as const : 'failed' as const;
      return { r: { outcome, reason: f ? reason : (c.reason as CallbackFailure | undefined) }, events: [f?.eventId ?? null] };
    });
    await afterCommit(out.events, []);
    return out.r;
  };

  /** One worker pass: start due callbacks, then move on from unanswered agents. */
  const tick = async (): Promise<number> => (await placeDue()) + (await nextAgents());

  return { placeDue, nextAgents, connect, dialEnded, tick, raise, finish };
};
export type CallbackCalls = ReturnType<typeof createCallbackCalls>;
