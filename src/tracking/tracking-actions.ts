/**
 * Turns a matched post-call workflow's actions into deliveries (SMS to the caller, e-mail to
 * the owners, webhook) or a result saying why not (opted out, withheld number, no owners…).
 * Runs inside the evaluator's transaction; `activate_workflow` actions come back `pending`.
 */
import type { PoolClient } from 'pg';
import { isDoNotContact } from '../rules/dnc-repo.js';
import { isSmsOptedOut } from '../telephony/sms-keywords.js';
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

const E164 = /^\+[1-9]\d{6,14}$/;

/** Why the caller must not be texted, or null. */
const smsBlock = async (tx: PoolClient, d: CallDetails): Promise<string | null> => {
  const { accountId, caller } = d.call;
  if (!E164.test(caller)) return 'caller_withheld';
  if (await isSmsOptedOut(tx, accountId, caller)) return 'opted_out_sms';
  const c = await tx.query('SELECT opted_out_channels, do_not_contact FROM contacts WHERE account_id = $1 AND phone = $2', [accountId, caller]);
  if (c.rows.some((r) => r.do_not_contact)) return 'do_not_contact';
  if (c.rows.some((r) => (r.opted_out_channels ?? []).includes('sms'))) return 'opted_out_sms';
  if (await isDoNotContact(tx, accountId, caller)) return 'do_not_contact';
  return null;
};

export const buildDeliveries = async (tx: PoolClient, d: CallDetails, wf: TrackingWorkflow): Promise<{ deliveries: TrackingDelivery[]; results: ActionResult[] }> => {
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
        const blocked = await smsBlock(tx, d);
        if (blocked) {
          skip(a, blocked);
          break;
        }
        const line = await tx.query('SELECT id, phone_number FROM lines WHERE account_id = $1 AND id = $2', [d.call.accountId, a.lineId ?? d.call.lineId]);
        if (!line.rows[0]) {
          skip(a, 'no_line');
          break;
        }
        add(a, [{
          actionId: a.id, channel: 'sms', recipientKey: 'caller', contactId: d.contact?.id ?? null, address: d.call.caller,
          payload: { body: renderSms(a.message, d), lineId: line.rows[0].id, from: line.rows[0].phone_number },
        }]);
        break;
      }
      case 'email_owners': {
        const r = await tx.query('SELECT owner_emails FROM accounts WHERE id = $1', [d.call.accountId]);
        const owners = [...new Set<string>(r.rows[0]?.owner_emails ?? [])];
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
