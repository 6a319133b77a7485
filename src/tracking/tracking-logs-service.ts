/**
 * Reading call tracking: the tracked calls (`GET /v1/calls`) and every post-call workflow
 * evaluation (`GET /v1/tracking-logs`), newest first, filtered, keyset-paged. A log's action
 * results are joined with their deliveries' current status (queued, delivered, failed…).
 */
import type { Db } from '../db/db.js';
import { NotFoundError } from '../errors.js';
import type { ActionResult } from './tracking-actions.js';
import type {
  CallFilter, DeliveryView, Keyed, LogFilter, TrackedCallView, TrackingLogRow, TrackingLogsRepo,
} from './tracking-logs-repo.js';

export type TrackingLogView = Omit<TrackingLogRow, 'actions'> & {
  actions: Array<Omit<ActionResult, 'deliveryIds' | 'deliveryKeys'> & { deliveries: DeliveryView[] }>;
};

const encode = (t: string, id: string) => Buffer.from(JSON.stringify({ t, id })).toString('base64url');

const page = <T>(rows: Array<Keyed<T>>, limit: number) => {
  const slice = rows.slice(0, limit);
  const last = slice[slice.length - 1];
  return { data: slice.map((r) => r.row), nextCursor: rows.length > limit && last ? encode(last.key.t, last.key.id) : null };
};

export type TrackingLogsServiceDeps = {
  db: Db;
  logs: Pick<TrackingLogsRepo, 'listTrackedCalls' | 'findTrackedCallView' | 'logsOfCall' | 'listTrackingLogs' | 'deliveryViews'>;
};

export const createTrackingLogsService = (deps: TrackingLogsServiceDeps) => {
  const { db, logs: repo } = deps;

  const withDeliveries = async (accountId: string, rows: TrackingLogRow[]): Promise<TrackingLogView[]> => {
    const ids = rows.flatMap((r) => r.actions.flatMap((a) => a.deliveryIds ?? []));
    const byId = new Map((await repo.deliveryViews(db, accountId, ids)).map((d) => [d.id, d]));
    return rows.map((r) => ({
      ...r,
      actions: r.actions.map(({ deliveryIds, deliveryKeys: _k, ...a }) => ({ ...a, deliveries: (deliveryIds ?? []).flatMap((id) => byId.get(id) ?? []) })),
    }));
  };

  return {
    async listCalls(accountId: string, f: CallFilter) {
      return page(await repo.listTrackedCalls(db, accountId, f, f.limit + 1), f.limit);
    },

    /** One tracked call with every workflow evaluation it caused. */
    async getCall(accountId: string, id: string): Promise<TrackedCallView & { logs: TrackingLogView[] }> {
      const call = await repo.findTrackedCallView(db, accountId, id);
      if (!call) throw new NotFoundError('call');
      return { ...call, logs: await withDeliveries(accountId, await repo.logsOfCall(db, accountId, id)) };
    },

    async listLogs(accountId: string, f: LogFilter) {
      const p = page(await repo.listTrackingLogs(db, accountId, f, f.limit + 1), f.limit);
      return { data: await withDeliveries(accountId, p.data), nextCursor: p.nextCursor };
    },
  };
};

export type TrackingLogsService = ReturnType<typeof createTrackingLogsService>;
