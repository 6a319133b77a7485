import type { PoolClient } from 'pg';
import { withTransaction, type Db } from '../db/db.js';
import { NotFoundError } from '../errors.js';
import type { EventDispatcher } from '../events/event-publisher.js';
import type { EventPublisher } from '../events/event-types.js';
import type { DeliveryJob } from '../engine/channel-port.js';
import { emailHtml } from './email-html.js';
import { emailTrackingFromSettings, type EmailTrackingEventData, type TrackingRequest } from './email-tracking-types.js';
import {
  accountSettings, findTrackedDelivery, findTracking, isEmailDeliveryOf, lockTracking, markClicked, markOpened, setEventIds, type EmailTracking, type TrackedDelivery,
} from './email-tracking-repo.js';
import { detectMachine } from './machine-opens.js';
import type { TrackingTokens } from './tracking-tokens.js';

export type EmailTrackingServiceDeps = {
  db: Db;
  tokens: TrackingTokens;
  /** PUBLIC_URL: the base of the pixel and click URLs. */
  publicUrl: string;
  /** The events pipeline (built before the channels): email.opened / email.clicked go through it. */
  events: { publisher: EventPublisher; dispatcher?: EventDispatcher };
};

/** What `GET /v1/deliveries/:id/email-tracking` shows. */
export type EmailTrackingStats = Omit<EmailTracking, 'accountId' | 'openedEventId' | 'clickedEventId'>;

/** `recorded`: the token was valid and the open/click stored; `first`: it raised the event. */
export type TrackOutcome = { recorded: boolean; first: boolean };

const MAX_UA = 300;

/**
 * E-mail open/click tracking (see email-tracking-types.ts). `htmlFor` is asked at send time for
 * the HTML part of one e-mail delivery (null: tracking is off for the account, send text only).
 * `recordOpen` / `recordClick` are called by the public routes: an invalid token or an unknown
 * delivery records nothing (`recorded: false`, the route answers 404). The first open (first
 * click) of a delivery raises `email.opened` (`email.clicked`) in the same transaction that
 * stores it, under the delivery's row lock and with an idempotency key, so it is raised exactly
 * once whatever the number of processes and repeated fetches. A click of a delivery never seen
 * opened (images blocked) also counts as its open.
 */
export const createEmailTrackingService = (deps: EmailTrackingServiceDeps) => {
  const base = deps.publicUrl.replace(/\/+$/, '');
  const pixelUrl = (deliveryId: string) => `${base}/t/o/${deps.tokens.openToken(deliveryId)}.gif`;
  const clickUrl = (deliveryId: string) => (url: string) => `${base}/t/c/${deps.tokens.clickToken(deliveryId, url)}?u=${encodeURIComponent(url)}`;

  const htmlFor = async (job: Pick<DeliveryJob, 'accountId' | 'deliveryId' | 'channel' | 'payload'>): Promise<string | null> => {
    if (job.channel !== 'email') return null;
    const t = emailTrackingFromSettings(await accountSettings(deps.db, job.accountId));
    if (!t.opens && !t.clicks) return null;
    const text = typeof job.payload.text === 'string' ? job.payload.text : '';
    return emailHtml(text, { pixelUrl: t.opens ? pixelUrl(job.deliveryId) : null, clickUrl: t.clicks ? clickUrl(job.deliveryId) : null });
  };

  const eventData = (d: TrackedDelivery, req: TrackingRequest): EmailTrackingEventData => ({
    deliveryId: d.id, activationId: d.activationId, workflowId: d.workflowId, actionId: d.actionId, address: d.address,
    ...(typeof d.meta.sequenceId === 'string' ? { sequenceId: d.meta.sequenceId } : {}),
    ...(typeof d.meta.stepId === 'string' ? { stepId: d.meta.stepId } : {}),
    userAgent: req.userAgent ? req.userAgent.slice(0, MAX_UA) : null,
  });

  const raise = async (tx: PoolClient, d: TrackedDelivery, type: 'email.opened' | 'email.clicked', data: EmailTrackingEventData) => {
    // An e-mail a rule sent: its open is caused by that rule (the rule engine's loop guard).
    const ruleId = typeof d.meta.ruleId === 'string' ? d.meta.ruleId : null;
    const { event, created } = await deps.events.publisher.publish(tx, {
      accountId: d.accountId, type, contactId: d.contactId, data: data as unknown as Record<string, unknown>,
      idempotencyKey: `${type}:${d.id}`, ...(ruleId ? { causedByRule: ruleId, chainDepth: 1 } : {}),
    });
    return created ? event.id : null;
  };

  /** Runs `fn` on the locked row; dispatches the raised events once committed. */
  const track = async (deliveryId: string, fn: (tx: PoolClient, d: TrackedDelivery) => Promise<string[]>): Promise<TrackOutcome> => {
    const d = await findTrackedDelivery(deps.db, deliveryId);
    if (!d) return { recorded: false, first: false };
    const raised = await withTransaction(deps.db, async (tx) => {
      await lockTracking(tx, d.id, d.accountId);
      return fn(tx, d);
    });
    if (raised.length > 0) await deps.events.dispatcher?.dispatch(raised).catch(() => undefined);
    return { recorded: true, first: raised.length > 0 };
  };

  const openWith = async (tx: PoolClient, d: TrackedDelivery, req: TrackingRequest, counted: boolean): Promise<string[]> => {
    const before = await findTracking(tx, d.accountId, d.id);
    const verdict = detectMachine(req, d.secondsSinceSent);
    await markOpened(tx, d.id, { counted, machine: verdict.machine, reason: verdict.reason });
    if (before?.firstOpenedAt) return [];
    const id = await raise(tx, d, 'email.opened', {
      ...eventData(d, req), machineOpen: verdict.machine, machineReason: verdict.reason, ...(counted ? {} : { via: 'click' }),
    } as EmailTrackingEventData);
    if (id) await setEventIds(tx, d.id, { opened: id });
    return id ? [id] : [];
  };

  /** A pixel fetch with a valid open token. */
  const recordOpen = async (token: string, req: TrackingRequest): Promise<TrackOutcome> => {
    const deliveryId = deps.tokens.verifyOpen(token);
    if (!deliveryId) return { recorded: false, first: false };
    return track(deliveryId, (tx, d) => openWith(tx, d, req, true));
  };

  /** A followed link with a valid click token for exactly `url`. */
  const recordClick = async (token: string, url: string, req: TrackingRequest): Promise<TrackOutcome> => {
    const deliveryId = deps.tokens.verifyClick(token, url);
    if (!deliveryId) return { recorded: false, first: false };
    return track(deliveryId, async (tx, d) => {
      const before = await findTracking(tx, d.accountId, d.id);
      const raised = before?.firstOpenedAt ? [] : await openWith(tx, d, req, false);
      await markClicked(tx, d.id, url);
      if (before?.firstClickedAt) return raised;
      const verdict = detectMachine(req, d.secondsSinceSent);
      const id = await raise(tx, d, 'email.clicked', { ...eventData(d, req), url, machineClick: verdict.machine, machineReason: verdict.reason });
      if (id) await setEventIds(tx, d.id, { clicked: id });
      return id ? [...raised, id] : raised;
    });
  };

  /**
   * The open/click counts of one of the account's e-mail deliveries (zeros when never opened or
   * not tracked); NotFoundError for anything else, another account's delivery included.
   */
  const get = async (accountId: string, deliveryId: string): Promise<EmailTrackingStats> => {
    const row = await findTracking(deps.db, accountId, deliveryId);
    if (!row && !(await isEmailDeliveryOf(deps.db, accountId, deliveryId))) throw new NotFoundError('e-mail delivery');
    return {
      deliveryId, openCount: row?.openCount ?? 0, firstOpenedAt: row?.firstOpenedAt ?? null, lastOpenedAt: row?.lastOpenedAt ?? null,
      machineOpen: row?.machineOpen ?? null, machineReason: row?.machineReason ?? null, clickCount: row?.clickCount ?? 0,
      firstClickedAt: row?.firstClickedAt ?? null, lastClickedAt: row?.lastClickedAt ?? null, firstClickedUrl: row?.firstClickedUrl ?? null,
    };
  };

  /** Signature checks alone (no I/O), for answering when storage fails. */
  const validOpen = (token: string) => deps.tokens.verifyOpen(token) !== null;
  const validClick = (token: string, url: string) => deps.tokens.verifyClick(token, url) !== null;

  return { htmlFor, recordOpen, recordClick, validOpen, validClick, get, pixelUrl };
};
export type EmailTrackingService = ReturnType<typeof createEmailTrackingService>;
