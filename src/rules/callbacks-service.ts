import type { PoolClient } from 'pg';
import { withTransaction, type Db } from '../db/db.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Callback, CallbackQuery, CallbacksRepo } from './callbacks-repo.js';

/** A callback as the API shows it. */
export type CallbackView = Omit<Callback, 'accountId' | 'chainDepth' | 'pendingId'> & { pendingActionId: string | null };

const view = ({ accountId: _a, chainDepth: _c, pendingId, ...c }: Callback): CallbackView => ({ ...c, pendingActionId: pendingId });

/**
 * Callbacks for the API: list (by contact, status, due time), get, move and cancel. Only a
 * `scheduled` callback moves or is cancelled (conditional UPDATE): one already calling is a 409.
 */
export const createCallbacksService = (deps: {
  db: Db;
  clock: Clock;
  callbacks: Pick<CallbacksRepo, 'findCallback' | 'finishCallback' | 'listCallbacks' | 'moveCallback'>;
}) => {
  const list = async (accountId: string, f: CallbackQuery): Promise<{ data: CallbackView[]; nextCursor: string | null }> => {
    const rows = await deps.callbacks.listCallbacks(deps.db, accountId, { ...f, limit: f.limit + 1 });
    const more = rows.length > f.limit;
    const page = rows.slice(0, f.limit);
    return { data: page.map(view), nextCursor: more ? page[page.length - 1]!.id : null };
  };

  const get = async (accountId: string, id: string): Promise<CallbackView> => {
    const c = await deps.callbacks.findCallback(deps.db, accountId, id);
    if (!c) throw new NotFoundError('callback');
    return view(c);
  };

  const change = (accountId: string, id: string, fn: (tx: PoolClient, c: Callback) => Promise<boolean>) =>
    withTransaction(deps.db, async (tx) => {
      const c = await deps.callbacks.findCallback(tx, accountId, id, true);
      if (!c) throw new NotFoundError('callback');
      if (c.status !== 'scheduled' || !(await fn(tx, c))) throw new ConflictError(`the callback is ${c.status}: only a scheduled callback can change`);
      return view((await deps.callbacks.findCallback(tx, accountId, id))!);
    });

  /** Moves a scheduled callback to `dueAt` exactly (a time in the past rings at the next poll). */
  const move = (accountId: string, id: string, dueAt: Date): Promise<CallbackView> =>
    change(accountId, id, (tx, c) => deps.callbacks.moveCallback(tx, c.id, dueAt, 'moved', deps.clock.now()));

  const cancel = (accountId: string, id: string): Promise<CallbackView> =>
    change(accountId, id, async (tx, c) =>
      !!(await deps.callbacks.finishCallback(tx, c.id, ['scheduled'], 'cancelled', { reason: 'api' }, deps.clock.now())));

  return { list, get, move, cancel };
};
export type CallbacksService = ReturnType<typeof createCallbacksService>;
