/**
 * The truth for whoever activated a workflow by text. The SMS webhook answers at once ("Gate
 * Emergency activated. Reaching 3 people."), before anything is sent. If the activation then
 * completes with every delivery failed and none reaching anyone (the carrier refused them all),
 * the texter gets a second text saying so, from the line they texted — so nobody waits for help
 * that is not coming. That line is named (sending-line.ts, rule 1): when it has been deleted
 * since, no report is sent rather than one from a number the texter does not know.
 *
 * The report is a ready plan (ready-plans.ts: an activation of the hidden "Sender reports"
 * workflow, key `sender-report:<activation id>`), so it is sent once whatever the number of
 * processes or repeated completion notices, planned, paced, refused and recorded like every
 * send (the planner's delivery and conversation rows, the delivery worker's retries and opt-out
 * checks).
 */
import { withTransaction, type Db } from '../db/db.js';
import type { FeedEvent, FeedPublisher } from './feed.js';
import type { Logger } from '../logger.js';
import type { ActivationDispatcher } from './activation-service.js';
import type { ReadyPlans } from './ready-plans.js';
import type { SenderReportsRepo } from './sender-reports-repo.js';

export type SenderReportsDeps = {
  db: Db;
  repo: Pick<SenderReportsRepo, 'findUnreachedSmsActivations'>;
  /** The one send path's door (ready-plans.ts): the report is a ready plan. */
  plans: Pick<ReadyPlans, 'activateReady'>;
  /** The outbox relay's fast path: the report is planned at once after its commit. */
  dispatch: ActivationDispatcher;
  /** The report's words (the composition root passes ivr/sms-replies.ts `notSentText`). */
  text(workflowName: string): string;
  logger: Logger;
};

export const createSenderReports = (deps: SenderReportsDeps) => {
  /** Reports to the texter each of these activations that just completed having reached nobody. Idempotent. */
  const check = async (activationIds: string[]): Promise<void> => {
    const unreached = await deps.repo.findUnreachedSmsActivations(deps.db, activationIds);
    for (const u of unreached) {
      const body = deps.text(u.workflowName);
      const r = await withTransaction(deps.db, (tx) => deps.plans.activateReady(tx, {
        accountId: u.accountId, source: 'sender_report',
        key: `sender-report:${u.activationId}`,
        context: { reportFor: u.activationId, caller: u.caller, lineId: u.lineId },
        deliveries: [{
          actionId: 'report', channel: 'sms', recipientKey: 'caller', contactId: u.contactId, address: u.caller,
          payload: { body, lineId: u.lineId, from: u.linePhone }, meta: { reportFor: u.activationId }, history: true,
        }],
      }));
      if (r.created) {
        deps.logger.warn({ activationId: u.activationId, reportActivationId: r.activationId }, 'texted activation reached nobody: telling the sender');
        await deps.dispatch.dispatch([r.activationId]);
      }
    }
  };
  return { check };
};
export type SenderReports = ReturnType<typeof createSenderReports>;

/**
 * The feed publisher, also handing every activation that just completed to `reports.check`
 * (every place that completes an activation publishes it). A failed check is logged, never
 * thrown: the feed and the delivery that completed the activation are not held up by it.
 */
export const withSenderReports = (feed: FeedPublisher, reports: Pick<SenderReports, 'check'>, logger: Logger): FeedPublisher => ({
  async publish(accountId: string, events: FeedEvent[]) {
    await feed.publish(accountId, events);
    const completed = events.flatMap((e) => (e.type === 'activation' && e.status === 'completed' ? [e.activationId] : []));
    if (completed.length > 0) await reports.check(completed).catch((err) => logger.error({ err }, 'sender report failed'));
  },
});
