import { isUuid, type Db } from '../db/db.js';
import type { PollPort } from '../engine/notification-extras-port.js';
import type { DeliveryStatusService } from '../engine/status-listener.js';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { webhookUrlProblem } from '../webhooks/ssrf-policy.js';
import { alertOf, alertsOf, type AlertRow } from './responder-repo.js';
import {
  deleteDevice, devicesOf, linkedContact, setLinkedContact, upsertSubscription, type LinkedContact, type PushDevice,
} from './push-subscriptions-repo.js';

export type ResponderServiceDeps = {
  db: Db;
  status: Pick<DeliveryStatusService, 'acknowledge'>;
  polls: Pick<PollPort, 'recordAnswer'>;
  /** VAPID_PUBLIC_KEY (null: Web Push is not configured), PUSH_ALLOWED_HOSTS. */
  push: { vapidPublicKey: string | null; allowedHosts: readonly string[] };
};

/** Who is asking: a signed-in dashboard user of an account. */
export type Responder = { accountId: string; userId: string };

/** A browser's PushSubscription as `subscription.toJSON()` gives it. */
export type SubscriptionInput = { endpoint: string; keys: { p256dh: string; auth: string }; device?: string };

export type Alert = {
  deliveryId: string; activationId: string; workflowName: string; channel: string; status: string; title: string; body: string;
  sentAt: Date; acknowledged: boolean;
  poll: { question: string; options: string[]; closesAt: Date; closed: boolean; myAnswer: number | null } | null;
};

const ACKABLE = new Set(['queued', 'sent', 'delivered', 'answered', 'acknowledged']);

const textOf = (a: AlertRow): { title: string; body: string } => {
  const p = a.payload;
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  if (a.channel === 'push') return { title: s(p.title) || a.workflowName, body: s(p.body) };
  if (a.channel === 'email') return { title: s(p.subject) || a.workflowName, body: s(p.text) };
  if (a.channel === 'voice') return { title: a.workflowName, body: s(p.text) };
  return { title: a.workflowName, body: s(p.body) };
};

const toAlert = (a: AlertRow, now: Date): Alert => ({
  deliveryId: a.deliveryId, activationId: a.activationId, workflowName: a.workflowName, channel: a.channel, status: a.status,
  ...textOf(a), sentAt: a.createdAt, acknowledged: a.status === 'acknowledged',
  poll: a.poll ? { question: a.poll.question, options: a.poll.options, closesAt: a.poll.closesAt, closed: a.poll.closesAt <= now, myAnswer: a.poll.myAnswer } : null,
});

const b64urlBytes = (s: string): number => (/^[A-Za-z0-9_-]+={0,2}$/.test(s) ? Buffer.from(s, 'base64url').length : -1);

/**
 * The responder view's backend: a dashboard user linked to a contact (users.contact_id) registers
 * their devices for Web Push, lists the alerts that reached them and acknowledges or answers a
 * poll — through the engine's own acknowledgement (`DeliveryStatusService.acknowledge`, as a key
 * press on a call) and poll answers (`PollPort.recordAnswer`, channel `push`). Only their own
 * contact's deliveries: anything else is a 404.
 */
export const createResponderService = (deps: ResponderServiceDeps) => {
  const contactOf = async (r: Responder): Promise<LinkedContact> => {
    const c = await linkedContact(deps.db, r.accountId, r.userId);
    if (!c) throw new AppError('not_a_responder', 'your sign-in is not linked to a contact: ask an admin to link it (PUT /v1/users/{id}/contact)', { status: 409 });
    return c;
  };

  /** The user's contact (null when not linked), devices and the VAPID public key for PushManager.subscribe. */
  const profile = async (r: Responder) => {
    const c = await linkedContact(deps.db, r.accountId, r.userId);
    const devices: PushDevice[] = c ? await devicesOf(deps.db, r.accountId, c.contactId) : [];
    return { contact: c ? { id: c.contactId, name: c.name } : null, vapidPublicKey: deps.push.vapidPublicKey, devices };
  };

  /** Validates and stores a device; the endpoint must be https:// and not a private address. */
  const subscribe = async (r: Responder, input: SubscriptionInput): Promise<PushDevice> => {
    if (!deps.push.vapidPublicKey) throw new AppError('push_not_configured', 'Web Push is not configured on this server (VAPID keys)', { status: 409 });
    let url: URL;
    try {
      url = new URL(input.endpoint);
    } catch {
      throw ValidationError.field('endpoint', 'must be a URL');
    }
    if (url.protocol !== 'https:') throw ValidationError.field('endpoint', 'must be an https:// URL');
    const problem = webhookUrlProblem(input.endpoint, deps.push.allowedHosts);
    if (problem) throw ValidationError.field('endpoint', problem);
    const p256dh = Buffer.from(input.keys.p256dh, 'base64url');
    if (b64urlBytes(input.keys.p256dh) !== 65 || p256dh[0] !== 4) throw ValidationError.field('keys.p256dh', 'must be a base64url P-256 public key (65 bytes)');
    if (b64urlBytes(input.keys.auth) !== 16) throw ValidationError.field('keys.auth', 'must be a base64url 16-byte secret');
    const c = await contactOf(r);
    return upsertSubscription(deps.db, {
      accountId: r.accountId, contactId: c.contactId, userId: r.userId, endpoint: input.endpoint,
      p256dh: input.keys.p256dh, auth: input.keys.auth, device: (input.device ?? '').slice(0, 200),
    });
  };

  const unsubscribe = async (r: Responder, id: string): Promise<void> => {
    const c = await contactOf(r);
    if (!isUuid(id) || !(await deleteDevice(deps.db, r.accountId, c.contactId, id))) throw new NotFoundError('device');
  };

  const alerts = async (r: Responder, limit = 50): Promise<Alert[]> => {
    const c = await contactOf(r);
    const now = new Date();
    return (await alertsOf(deps.db, r.accountId, c.contactId, limit)).map((a) => toAlert(a, now));
  };

  const own = async (r: Responder, deliveryId: string): Promise<{ contactId: string; alert: AlertRow }> => {
    const c = await contactOf(r);
    const a = isUuid(deliveryId) ? await alertOf(deps.db, r.accountId, c.contactId, deliveryId) : null;
    if (!a) throw new NotFoundError('alert');
    return { contactId: c.contactId, alert: a };
  };

  /** Acknowledges an alert that reached this responder (once; again is harmless). */
  const acknowledge = async (r: Responder, deliveryId: string, via: 'push' | 'responder_view'): Promise<Alert> => {
    const { contactId, alert } = await own(r, deliveryId);
    if (!ACKABLE.has(alert.status)) throw new ConflictError(`this alert is ${alert.status} and cannot be acknowledged`, 'not_acknowledgeable');
    await deps.status.acknowledge(r.accountId, alert.deliveryId, { via, userId: r.userId });
    return toAlert((await alertOf(deps.db, r.accountId, contactId, deliveryId))!, new Date());
  };

  /** Answers the alert's poll (1-based option); an answer also acknowledges the alert. */
  const answer = async (r: Responder, deliveryId: string, option: number, via: 'push' | 'responder_view'): Promise<Alert> => {
    const { contactId, alert } = await own(r, deliveryId);
    if (!alert.poll) throw new ConflictError('this alert has no poll', 'no_poll');
    if (!Number.isInteger(option) || option < 1 || option > alert.poll.options.length) {
      throw ValidationError.field('option', `must be a number from 1 to ${alert.poll.options.length}`);
    }
    const ok = await deps.polls.recordAnswer({ accountId: r.accountId, pollId: alert.poll.id, contactId, option, channel: 'push', deliveryId: alert.deliveryId });
    if (!ok) throw new ConflictError('the poll is closed', 'poll_closed');
    if (ACKABLE.has(alert.status)) await deps.status.acknowledge(r.accountId, alert.deliveryId, { via, userId: r.userId, pollOption: option });
    return toAlert((await alertOf(deps.db, r.accountId, contactId, deliveryId))!, new Date());
  };

  /** Admin: links a dashboard user to the contact they are (null unlinks). */
  const linkUser = async (accountId: string, userId: string, contactId: string | null): Promise<void> => {
    const res = await setLinkedContact(deps.db, accountId, userId, contactId);
    if (res === 'no_user') throw new NotFoundError('user');
    if (res === 'no_contact') throw ValidationError.field('contactId', 'no such contact in this account');
  };

  return { profile, subscribe, unsubscribe, alerts, acknowledge, answer, linkUser };
};

export type ResponderService = ReturnType<typeof createResponderService>;
