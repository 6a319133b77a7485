import { conditionHolds, conditionLabel, type SequenceContact, type Signal } from './conditions.js';
import type { Enrollment, EnrollmentUpdate, NewHistory } from './enrollments-repo.js';
import { addDuration, quietHoursEnd, type QuietHours } from './quiet-hours.js';
import { emailStepOf, type SendStep, type SequenceDefinition, type Step, type UpdateContactStep } from './sequence-types.js';

/**
 * The step machine: runs one enrollment from where it stands until it has to wait (a delay, a
 * branch's deadline, quiet hours) or ends (completed, exited). No SQL: sends go through the
 * `send` callback (which writes the delivery in the caller's transaction), everything else is
 * returned as an update and history rows for the caller to write in bulk.
 */
export type SendOutcome =
  | { status: 'queued'; deliveryId: string; channel: string; /** Set when the send was just created: hand it to the outbox relay after commit. */ activationId?: string }
  | { status: 'skipped'; reason: string; channel: string; deliveryId?: string };

export type RunContext = {
  now: Date;
  definition: SequenceDefinition;
  contact: SequenceContact | null;
  /** Signals of this contact since it enrolled (the engine filters by each branch's anchor). */
  signals: readonly Signal[];
  quietHours: QuietHours | null;
  zone: string;
  send(step: SendStep & { id: string }): Promise<SendOutcome>;
  updateContact(step: UpdateContactStep & { id: string }): Promise<void>;
};

export type RunResult = { update: EnrollmentUpdate; history: NewHistory[] };

const MAX_STEPS_PER_RUN = 250;

export const runEnrollment = async (e: Enrollment, ctx: RunContext): Promise<RunResult> => {
  const { now, definition: def } = ctx;
  const history: NewHistory[] = [];
  const u: EnrollmentUpdate = {
    id: e.id, status: e.status, stepIndex: e.stepIndex, stepId: e.stepId, waiting: e.waiting, stepEnteredAt: e.stepEnteredAt,
    waitUntil: e.waitUntil, nextRunAt: null, attempts: 0, state: { ran: { ...(e.state.ran ?? {}) }, ...(e.state.sent ? { sent: { ...e.state.sent } } : {}) },
    exitReason: null, error: null, endedAt: null,
  };
  const log = (kind: string, stepId: string | null, detail: Record<string, unknown> = {}) =>
    history.push({ accountId: e.accountId, sequenceId: e.sequenceId, enrollmentId: e.id, contactId: e.contactId, version: e.version, stepId, kind, detail, at: now });
  const end = (status: 'completed' | 'exited', reason: string | null) => {
    Object.assign(u, { status, waiting: 'none', nextRunAt: null, waitUntil: null, endedAt: now, exitReason: reason });
    log(status, u.stepId, reason ? { reason } : {});
    return { update: u, history };
  };
  const wait = (kind: 'delay' | 'branch' | 'quiet_hours', until: Date) => {
    Object.assign(u, { waiting: kind, waitUntil: until, nextRunAt: until });
    return { update: u, history };
  };
  const enter = (index: number) => {
    const step = def.steps[index] as (Step & { id: string }) | undefined;
    Object.assign(u, { stepIndex: index, stepId: step?.id ?? null, waiting: 'ready', waitUntil: null, stepEnteredAt: now });
    if (step) u.state.ran![step.id] = now.toISOString();
  };
  const goto = (target: string, from: number): number | 'end' => {
    if (target === 'end') return 'end';
    if (target === 'next') return from + 1;
    const i = def.steps.findIndex((s) => s.id === target);
    return i > from ? i : from + 1; // validated on save; a bad target never loops
  };

  /** E-mail deliveries this enrollment sent: of one step, or all of them. */
  const emailsOf = (stepId: string | undefined): string[] =>
    stepId === undefined ? Object.values(u.state.sent ?? {}) : u.state.sent?.[stepId] ? [u.state.sent[stepId]!] : [];

  if (!ctx.contact) return end('exited', 'contact_deleted');
  const sinceEnrolled = ctx.signals.filter((s) => s.at >= e.enrolledAt);
  const exit = def.exits.find((c) => conditionHolds(c, ctx.contact!, sinceEnrolled, {
    emailDeliveries: emailsOf(c.type === 'email_opened' || c.type === 'email_clicked' ? c.step : undefined),
  }));
  if (exit) return end('exited', conditionLabel(exit));

  // First run: enter the first step.
  if (e.stepId === null) enter(0);

  for (let guard = 0; guard < MAX_STEPS_PER_RUN; guard++) {
    const index = u.stepIndex;
    const step = def.steps[index];
    if (!step) return end('completed', null);
    const resumed = u.waiting === e.waiting && u.stepId === e.stepId && u.waitUntil !== null;

    if (step.type === 'delay') {
      const until = resumed && e.waiting === 'delay' ? e.waitUntil! : addDuration(now, step.delay, ctx.zone);
      if (until > now) {
        if (!resumed) log('waiting', step.id, { until: until.toISOString() });
        return wait('delay', until);
      }
      enter(index + 1);
      continue;
    }

    if (step.type === 'send') {
      const quietEnd = ctx.quietHours && step.send.channel !== 'webhook' ? quietHoursEnd(now, ctx.quietHours, ctx.zone) : null;
      if (quietEnd) {
        if (e.waiting !== 'quiet_hours' || e.stepId !== step.id) log('deferred_quiet_hours', step.id, { until: quietEnd.toISOString(), zone: ctx.zone });
        return wait('quiet_hours', quietEnd);
      }
      const out = await ctx.send(step);
      // Which e-mail an "opened e-mail" branch or exit waits on.
      if (out.status === 'queued' && out.channel === 'email') u.state.sent = { ...u.state.sent, [step.id]: out.deliveryId };
      if (out.status === 'queued') log('sent', step.id, { channel: out.channel, deliveryId: out.deliveryId });
      else log('skipped', step.id, { channel: out.channel, reason: out.reason, ...(out.deliveryId ? { deliveryId: out.deliveryId } : {}) });
      enter(index + 1);
      continue;
    }

    if (step.type === 'update_contact') {
      await ctx.updateContact(step);
      log('contact_updated', step.id, { ...step.update });
      enter(index + 1);
      continue;
    }

    // branch
    const b = step.branch;
    const anchorStep = b.since ?? [...def.steps.slice(0, index)].reverse().find((s) => s.type === 'send')?.id;
    const anchorIso = anchorStep ? u.state.ran?.[anchorStep] : undefined;
    const anchor = anchorIso ? new Date(anchorIso) : e.enrolledAt;
    const c = b.condition;
    const emailStep = c.type === 'email_opened' || c.type === 'email_clicked' ? emailStepOf(def.steps, index, c.step ?? b.since) : null;
    const emailDeliveries = emailStep?.ok ? emailsOf(emailStep.stepId) : [];
    const holds = conditionHolds(c, ctx.contact, ctx.signals.filter((s) => s.at >= anchor), { emailDeliveries });
    if (!holds && b.within) {
      const deadline = resumed && e.waiting === 'branch' ? e.waitUntil! : addDuration(now, b.within, ctx.zone);
      if (deadline > now) {
        if (!resumed) log('waiting', step.id, { for: conditionLabel(b.condition), until: deadline.toISOString() });
        return wait('branch', deadline);
      }
    }
    const target = holds ? b.then : b.else;
    log('branch', step.id, { condition: conditionLabel(b.condition), result: holds, goto: target });
    const next = goto(target, index);
    if (next === 'end') return end('completed', null);
    enter(next);
  }
  throw new Error(`sequence ran more than ${MAX_STEPS_PER_RUN} steps in one run`);
};
