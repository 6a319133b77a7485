/**
 * What the `simulator` provider "sent" from an account's lines (the simulator_outbox table,
 * scoped through the sending line's number), newest first.
 */
import type { Queryable } from '../db/db.js';
import type { SimulatorOutboxQuery, SimulatorOutboxRepo } from './simulator-outbox-repo.js';

export type { SimulatedItem, SimulatorOutboxQuery } from './simulator-outbox-repo.js';

export const createSimulatorOutbox = (deps: { db: Queryable; outbox: Pick<SimulatorOutboxRepo, 'listSimulatorOutbox'> }) => ({
  list: (accountId: string, f: SimulatorOutboxQuery) => deps.outbox.listSimulatorOutbox(deps.db, accountId, f),
});
export type SimulatorOutbox = ReturnType<typeof createSimulatorOutbox>;
