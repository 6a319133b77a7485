/**
 * Turns a matched post-call workflow's actions into deliveries (SMS to the caller, e-mail to
 * the owners, webhook) or a result saying why not (opted out, withheld number, no owners…).
 * Runs inside the evaluator's transaction; `activate_workflow` actions come back `pending`.
 */
import type { PoolClient } from 'pg';
import type { DncRepo } from '../rules/dnc-repo.js';
import type { SmsOptOutsRepo } from '../telephony/sms-opt-outs-repo.js';
import type { CallDetailsRepo } from './call-details-repo.js';
import { ownerEmail, renderSms, webhookBody, type CallDetails } from './call-details.js';
import type { TrackingDelivery } from './tracking-sends.js';
import type { StoredTrackingAction, TrackingWorkflow } from './tracking-types.js';

/** One action's outcome in the log; `deliveryIds` are followed live by the logs API. */
export type ActionResult = {
  actionId: string;
  type: StoredTrackingAction['type'];
  result: 'queued' | 'skipped' | 'pending' | 'activated' | 'failed';
  reason?: string;
  deliveryIds?: string[];
  /** Internal, until the deliveries have ids. */
  deliveryKeys?: string[];
  activationId?: string;
  created?: boolean;
  error?: string;
};

/** What building the deliveries reads (in the evaluator's transaction). */
export type TrackingActionRepos = {
  details: Pick<CallDetailsRepo, 'callerSmsFlags' | 'findSendingLine' | 'ownerEmails'>;
  optOuts: Pick<SmsOptOutsRepo, 'isSmsOptedOut'>;
  dnc: Pick<DncRepo, 'isDoNotContact'>;
};

const E164 = /^\+[1-9]\d{6,14}$/;

/** Why the caller must not be texted, or null. */
const smsBlock = async (repos: TrackingActionRepos, tx: PoolClient, d: CallDetails): Promise<string | null> => {
  const { accountId, caller } = d.call;
  if (!E164.test(caller)) return 'caller_withheld';
  if (await repos.optOuts.isSmsOptedOut(tx, accountId, caller)) return 'opted_out_sms';
  const flags = await repos.details.callerSmsFlags(tx, accountId, caller);
  if (flags.doNotContact) return 'do_not_contact';
  if (flags.optedOutSms) return 'opted_out_sms';
  if (await repos.dnc.isDoNotContact(tx, accountId, caller)) return 'do_not_contact';
  return null;
};

export const buildDeliveries = async (
  repos: TrackingActionRepos, tx: PoolClient, d: CallDetails, wf: TrackingWorkflow,
): Promise<{ deliveries: TrackingDelivery[]; results: ActionResult[] }> => {
  const deliveries: TrackingDelivery[] = [];
  const results: ActionResult[] = [];
  const add = (a: StoredTrackingAction, ds: TrackingDelivery[]) => {
    deliveries.push(...ds);
    results.push({ actionId: a.id, type: a.type, result: 'queued', deliveryKeys: ds.map((x) => `${x.actionId}/${x.recipientKey}`) });
  };
  const skip = (a: StoredTrackingAction, reason: string) => results.push({ actionId: a.id, type: a.type, result: 'skipped', reason });

  for (const a of wf.actions) {
    switch (a.type) {
      case 'sms_caller': {
        const blocked = await smsBlock(repos, tx, d);
        if (blocked) {
          skip(a, blocked);
          break;
        }
        // Which line sends (src/engine/sending-line.ts): the action's line (gone: skipped, no_line),
        // else the tracking line called, else the oldest activation line, else the oldest line.
        const line = await repos.details.findSendingLine(tx, d.call.accountId, { named: a.lineId ?? null, preferred: [d.call.lineId] });
        if (!line) {
          skip(a, 'no_line');
          break;
        }
        add(a, [{
          actionId: a.id, channel: 'sms', recipientKey: 'caller', contactId: d.contact?.id ?? null, address: d.call.caller,
          payload: { body: renderSms(a.message, d), lineId: line.id, from: line.phoneNumber },
        }]);
        break;
      }
      case 'email_owners': {
        const owners = await repos.details.ownerEmails(tx, d.call.accountId);
        if (owners.length === 0) {
          skip(a, 'no_owner_emails');
          break;
        }
        const mail = ownerEmail(d, wf, a.subject);
        add(a, owners.map((to) => ({ actionId: a.id, channel: 'email' as const, recipientKey: `owner:${to.toLowerCase()}`, contactId: null, address: to, payload: mail })));
        break;
      }
      case 'webhook':
        add(a, [{
          actionId: a.id, channel: 'webhook', recipientKey: 'webhook', contactId: null, address: a.url,
          payload: { method: 'POST', url: a.url, body: webhookBody(d, { id: wf.id, name: wf.name }), authorizationSealed: a.authorizationSealed ?? null },
        }]);
        break;
      case 'activate_workflow':
        results.push({ actionId: a.id, type: a.type, result: 'pending' });
        break;
    }
  }
  return { deliveries, results };
};
