import type { Queryable } from '../../src/db/db.js';
import type { PushProvider } from '../../src/push/push-port.js';
import type { SimulatedPush, SimulatedPushesRepo } from './simulated-pushes-repo.js';

export type { SimulatedPush } from './simulated-pushes-repo.js';

/**
 * PUSH_PROVIDER=simulator: every contact with a `push_token` can receive pushes; each push is
 * stored in `simulated_pushes` (nothing leaves the machine), so demos and tests can see who got
 * what. Idempotent per delivery: a repeated send returns the first push's id.
 */
export const createSimulatorPushProvider = (
  db: Queryable, pushes: Pick<SimulatedPushesRepo, 'insertSimulatedPush' | 'listSimulatedPushes'>,
): PushProvider & { list(accountId: string): Promise<SimulatedPush[]> } => ({
  name: 'simulator',
  canPush: (contact) => typeof contact.pushToken === 'string' && contact.pushToken.trim().length > 0,
  async send(msg) {
    const id = await pushes.insertSimulatedPush(db, msg);
    return { providerId: `simpush_${id}` };
  },
  list: (accountId) => pushes.listSimulatedPushes(db, accountId),
});
