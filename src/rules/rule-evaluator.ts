import { withTransaction, type Db } from '../db/db.js';
import type { DomainEvent, EventConsumer } from '../events/event-types.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../clock.js';
import type { ContactSnapshot } from './fields.js';
import type { AccountNotifier } from './notifier.js';
import type { NewPending, PendingRepo } from './pending-repo.js';
import { conditionResults, inScope, stopReason } from './rule-context.js';
import type { AccountInfo, RuleContextRepo } from './rule-context-repo.js';
import type { RuleLogsRepo } from './rule-logs-repo.js';
import type { RulesRepo } from './rules-repo.js';
import type { Rule } from './rule-types.js';
import { actionDueAt, inRollout, nextInWindow } from './schedule-math.js';

/** Safeguard settings (config: RULES_*). */
export type RuleLimits = {
  /** A rule may match one contact at most this many times… */
  rateLimitCount: number;
  /** …within any rolling window of this length. */
  rateLimitWindowMs: number;
  /** Loop iterations after which a rule is disabled and the account notified. */
  loopDisableAfter: number;
  /** Events this deep in a chain of rule actions are not acted on (indirect loops). */
  maxChainDepth: number;
};

export type RuleEvaluatorDeps = {
  db: Db;
  rules: Pick<RulesRepo, 'findRule' | 'listRules' | 'countLoop' | 'lockRuleEvaluation' | 'isRuleLive'>;
  pending: Pick<PendingRepo, 'rulesWithOpenPending' | 'cancelPendingForRule' | 'hasOpenPending' | 'insertPending'>;
  ruleLogs: Pick<RuleLogsRepo, 'insertLog' | 'countMatchesSince' | 'hasEvaluation'>;
  context: Pick<RuleContextRepo, 'loadAccount' | 'loadContact' | 'isMemberOf' | 'activationWorkflowId'>;
  clock: Clock;
  notifier: AccountNotifier;
  logger: Logger;
  limits: RuleLimits;
  /** Fast path: pending actions due now go to the queue at once instead of at the next poll. */
  dispatchDue?: (pendingIds: string[]) => Promise<void>;
};

type Outcome = { scheduled: Array<{ id: string; dueAt: Date }>; disabled?: { loopCount: number } };

/**
 * The rules' event consumer. For each event: first cancels pending actions whose stop-if the
 * contact now meets, then evaluates every enabled rule for the event type. One rule's evaluation
 * is one transaction under an advisory lock per (rule, contact), so the rate limit, skip-if-pending
 * and the evaluation log agree across any number of worker processes. Idempotent on the event:
 * an evaluation already logged for (event, rule) is not repeated.
 */
export const createRuleEvaluator = (deps: RuleEvaluatorDeps): EventConsumer & { applyStopIf(accountId: string, contactId: string): Promise<number> } => {
  const { db, clock, limits, rules: rulesRepo, pending, ruleLogs, context } = deps;

  const applyStopIf = async (accountId: string, contactId: string): Promise<number> => {
    const ruleIds = await pending.rulesWithOpenPending(db, contactId);
    if (ruleIds.length === 0) return 0;
    const [account, contact] = await Promise.all([context.loadAccount(db, accountId), context.loadContact(db, accountId, contactId)]);
    if (!account || !contact) return 0;
    let cancelled = 0;
    for (const ruleId of ruleIds) {
      const rule = await rulesRepo.findRule(db, accountId, ruleId, { withDeleted: true });
      const reason = rule && stopReason(rule.stopIf, contact, account, { now: clock.now(), timezone: account.timezone });
      if (!reason) continue;
      const rows = await pending.cancelPendingForRule(db, accountId, ruleId, `stop_if:${reason}`, { contactId, at: clock.now() });
      cancelled += rows.length;
    }
    return cancelled;
  };

  const evaluate = async (rule: Rule, event: DomainEvent, contact: ContactSnapshot | null, account: AccountInfo): Promise<Outcome> =>
    withTransaction(db, async (tx) => {
      const now = clock.now();
      const ec = { now, timezone: account.timezone };
      await rulesRepo.lockRuleEvaluation(tx, rule.id, event.contactId ?? event.id);
      if (await ruleLogs.hasEvaluation(tx, event.id, rule.id)) return { scheduled: [] };
      if (!(await rulesRepo.isRuleLive(tx, rule.id))) return { scheduled: [] };

      const base = { accountId: event.accountId, ruleId: rule.id, contactId: event.contactId, eventId: event.id, kind: 'evaluation' as const, at: now };
      // Once conditions are checked, every evaluation line carries each condition's result.
      let results: ReturnType<typeof conditionResults> | undefined;
      const log = (outcome: string, detail: Record<string, unknown> = {}) =>
        ruleLogs.insertLog(tx, { ...base, outcome, detail: results?.length ? { ...detail, conditions: results } : detail });

      if (!(await inScope(context, tx, rule, event))) return (await log('out_of_scope'), { scheduled: [] });
      results = conditionResults(rule.conditions, rule.eventType, { contact, event }, ec);
      const failing = results.findIndex((r) => !r.matched);
      if (failing >= 0) return (await log('not_matched', { condition: failing, field: rule.conditions[failing]!.field }), { scheduled: [] });

      // Loop protection: the rule's own action raised this event, or the chain is too deep.
      if (event.causedByRule === rule.id || event.chainDepth >= limits.maxChainDepth) {
        const loop = await rulesRepo.countLoop(tx, rule.id, limits.loopDisableAfter);
        await log('loop_cut', {
          causedByRule: event.causedByRule, chainDepth: event.chainDepth, loopCount: loop.loopCount, disabled: loop.disabled,
          ...(loop.counted ? {} : { counted: false }), // the rule was disabled while this evaluation ran
        });
        if (loop.disabled) await pending.cancelPendingForRule(tx, rule.accountId, rule.id, 'rule_disabled', { at: now });
        return { scheduled: [], ...(loop.disabled ? { disabled: { loopCount: loop.loopCount } } : {}) };
      }
      const stop = stopReason(rule.stopIf, contact, account, ec);
      if (stop) return (await log('stopped', { reason: stop }), { scheduled: [] });
      if (!inRollout(rule.id, event.contactId, rule.rolloutPercent)) return (await log('not_in_rollout', { percent: rule.rolloutPercent }), { scheduled: [] });
      if (rule.skipIfPending && event.contactId && (await pending.hasOpenPending(tx, rule.id, event.contactId))) {
        return (await log('skipped_pending'), { scheduled: [] });
      }
      if (event.contactId) {
        const recent = await ruleLogs.countMatchesSince(tx, rule.id, event.contactId, new Date(now.getTime() - limits.rateLimitWindowMs));
        if (recent >= limits.rateLimitCount) {
          return (await log('rate_limited', { matchesInWindow: recent, limit: limits.rateLimitCount, windowSeconds: limits.rateLimitWindowMs / 1000 }), { scheduled: [] });
        }
      }
      await log('matched');

      const rows: NewPending[] = [];
      for (const action of rule.actions) {
        const alog = (outcome: string, detail: Record<string, unknown>) =>
          ruleLogs.insertLog(tx, { ...base, kind: 'action', outcome, actionId: action.id, actionType: action.type, detail });
        if (!action.active) continue;
        // A callback is booked at once: its timing and window set when it rings (callback-actions.ts).
        const booking = action.type === 'schedule_callback';
        const due = booking ? { dueAt: now } : actionDueAt(action.timing, now, contact);
        if ('skip' in due) {
          await alog('skipped', { reason: due.skip });
          continue;
        }
        const dueAt = booking ? now : nextInWindow(due.dueAt, action.window ?? rule.window, account.timezone);
        rows.push({ accountId: rule.accountId, ruleId: rule.id, actionId: action.id, actionType: action.type, contactId: event.contactId, eventId: event.id, chainDepth: event.chainDepth, dueAt });
      }
      const inserted = await pending.insertPending(tx, rows, now);
      for (const p of inserted) {
        await ruleLogs.insertLog(tx, { ...base, kind: 'action', outcome: 'scheduled', actionId: p.actionId, actionType: p.actionType, pendingId: p.id, detail: { dueAt: p.dueAt.toISOString() } });
      }
      return { scheduled: inserted.map((p) => ({ id: p.id, dueAt: p.dueAt })) };
    });

  const handle = async (event: DomainEvent): Promise<void> => {
    if (event.contactId) await applyStopIf(event.accountId, event.contactId);
    const rules = await rulesRepo.listRules(db, event.accountId, { eventType: event.type, enabled: true });
    if (rules.length === 0) return;
    const account = await context.loadAccount(db, event.accountId);
    if (!account) return;
    const contact = event.contactId ? await context.loadContact(db, event.accountId, event.contactId) : null;
    const dueNow: string[] = [];
    for (const rule of rules) {
      const out = await evaluate(rule, event, contact, account);
      const now = clock.now().getTime();
      dueNow.push(...out.scheduled.filter((s) => s.dueAt.getTime() <= now).map((s) => s.id));
      if (out.disabled) {
        deps.logger.warn({ ruleId: rule.id, accountId: rule.accountId, loopCount: out.disabled.loopCount }, 'rule disabled: loop detected');
        await deps.notifier.notify({
          accountId: rule.accountId,
          kind: 'rule_disabled',
          title: `Rule "${rule.name}" was disabled: it kept triggering itself`,
          body: `The rule "${rule.name}" caused itself to fire again ${out.disabled.loopCount} times (for example, an action updates a field that the rule reacts to). `
            + 'Switchboard cut each loop and has now disabled the rule. Change its conditions or actions, then enable it again.',
          data: { ruleId: rule.id, loopCount: out.disabled.loopCount },
        }).catch((err) => deps.logger.error({ err, ruleId: rule.id }, 'could not notify account of disabled rule'));
      }
    }
    if (dueNow.length > 0 && deps.dispatchDue) await deps.dispatchDue(dueNow).catch((err) => deps.logger.warn({ err }, 'rule action fast path failed'));
  };

  return { name: 'rules', handle, applyStopIf };
};
