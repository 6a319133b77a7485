import type { Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import { SIMULATOR_ACCOUNT_SID } from '../carriers/simulator-credentials.js';
import type { CallStatusInput, MessageStatusInput } from './status-port.js';
import type { TelephonyProvider } from './telephony-port.js';
import type { CarrierCheck, CarrierChecksRepo } from './carrier-checks-repo.js';
import { fromCallStatus, fromMessageStatus } from './delivery-status.js';
import type { LineDirectory } from './line-directory.js';

/** A carrier status as a status callback would report it (what `StatusService.record` takes). */
export type CarrierStatusReport = MessageStatusInput | CallStatusInput;

export type StatusReconcilerDeps = {
  db: Db;
  checks: Pick<CarrierChecksRepo, 'claimCarrierChecks'>;
  lines: LineDirectory;
  providers: Partial<Record<'twilio' | 'simulator', TelephonyProvider>>;
  /**
   * The status callbacks' own path (telephony `statuses.record`): conversation history, the
   * delivery, rules and events move exactly as if the lost callback had arrived.
   */
  record: (r: CarrierStatusReport) => Promise<unknown>;
  /** DELIVERY_RECONCILE_AFTER_MS (0 = off) and DELIVERY_RECONCILE_BATCH. */
  settings: { afterMs: number; batch: number };
  logger: Pick<Logger, 'warn'>;
};

/**
 * Settles deliveries whose status callbacks were lost (the web side was down when the carrier
 * sent them; the carrier does not send them again): a text or call still `queued` (or a text
 * `sent`) with no callback for `afterMs` is fetched from the carrier by its id, and what the
 * carrier says is applied through the callbacks' own path. Safe from any number of processes
 * (rows are claimed with SKIP LOCKED; applying a status twice changes nothing). A carrier error
 * leaves the row for a later sweep.
 */
export const createStatusReconciler = (deps: StatusReconcilerDeps) => {
  const reportOf = async (c: CarrierCheck): Promise<CarrierStatusReport | null> => {
    if (!c.lineId || !c.address) return null;
    const line = await deps.lines.get(c.lineId);
    const provider = deps.providers[line.provider];
    if (!provider) return null;
    const common = {
      carrierAccountSid: line.credentials?.accountSid ?? SIMULATOR_ACCOUNT_SID, providerId: c.providerId, sequence: null,
      from: line.phoneNumber, to: c.address, at: new Date(),
    };
    if (c.channel === 'sms') {
      const s = await provider.fetchMessageStatus(line.credentials, c.providerId);
      if (!s || fromMessageStatus(s.status) === c.status) return null; // unknown, or nothing new
      return { ...common, kind: 'message', status: s.status, errorCode: s.errorCode, params: { delivery: c.id } };
    }
    const s = await provider.fetchCallStatus(line.credentials, c.providerId);
    if (!s || fromCallStatus(s.status) === c.status) return null;
    return {
      ...common, kind: 'call', status: s.status, durationSeconds: s.durationSeconds, answeredBy: null, direction: 'outbound-api',
      params: { delivery: c.id, kind: c.channel },
    };
  };

  /**
   * One round: at most `batch` deliveries, a few carrier requests at a time; `stopping` ends it
   * early (the rows left are asked about in a later round). Returns how many moved on.
   */
  const reconcile = async (stopping: () => boolean = () => false): Promise<number> => {
    if (deps.settings.afterMs <= 0) return 0;
    const due = await deps.checks.claimCarrierChecks(deps.db, deps.settings.afterMs, deps.settings.batch);
    let applied = 0;
    for (let i = 0; i < due.length && !stopping(); i += 10) {
      await Promise.all(due.slice(i, i + 10).map(async (c) => {
        try {
          const report = await reportOf(c);
          if (!report) return;
          await deps.record(report);
          applied++;
        } catch (err) {
          deps.logger.warn({ err, deliveryId: c.id }, 'could not fetch a delivery\'s status from the carrier; a later sweep asks again');
        }
      }));
    }
    if (applied > 0) deps.logger.warn({ reconciled: applied }, 'status callbacks were lost: statuses fetched from the carrier');
    return applied;
  };

  return { reconcile };
};

export type StatusReconciler = ReturnType<typeof createStatusReconciler>;
