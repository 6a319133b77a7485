import type { SecretBox } from '../crypto.js';
import type { Db } from '../db/db.js';
import type { Page, PageQuery } from '../db/pagination.js';
import { NotFoundError } from '../errors.js';
import type { CarrierConnection, CarriersRepo } from './carriers-repo.js';

export type { CarrierConnection } from './carriers-repo.js';

export type CarrierConnectionInput = { name?: string; accountSid: string; authToken: string };

export type CarriersServiceDeps = {
  db: Db;
  carriers: Pick<CarriersRepo, 'findConnection' | 'listConnections' | 'insertConnection' | 'updateConnection' | 'deleteConnection'>;
  secrets: Pick<SecretBox, 'seal'>;
};

/**
 * Carrier connections (Twilio Account SID + auth token). The token is sealed with SECRET_KEY
 * before it is stored and never leaves the service; see carrier-credentials.ts to use it.
 */
export const createCarriersService = (deps: CarriersServiceDeps) => {
  const { db, secrets, carriers: repo } = deps;

  const get = async (accountId: string, id: string): Promise<CarrierConnection> => {
    const c = await repo.findConnection(db, accountId, id);
    if (!c) throw new NotFoundError('carrier connection');
    return c;
  };

  const list = async (accountId: string, q: PageQuery): Promise<Page<CarrierConnection>> => repo.listConnections(db, accountId, q);

  const create = async (accountId: string, input: CarrierConnectionInput): Promise<CarrierConnection> => {
    const { id } = await repo.insertConnection(db, accountId, { name: input.name ?? '', accountSid: input.accountSid, authTokenSealed: secrets.seal(input.authToken) });
    return get(accountId, id);
  };

  /** Renames, or rotates the auth token (the Account SID of a connection never changes). */
  const update = async (accountId: string, id: string, patch: { name?: string; authToken?: string }): Promise<CarrierConnection> => {
    const found = await repo.updateConnection(db, accountId, id, { name: patch.name, authTokenSealed: patch.authToken ? secrets.seal(patch.authToken) : undefined });
    if (!found) throw new NotFoundError('carrier connection');
    return get(accountId, id);
  };

  /** Refuses (409) while lines still send through the connection. */
  const remove = async (accountId: string, id: string): Promise<void> => {
    if (!(await repo.deleteConnection(db, accountId, id))) throw new NotFoundError('carrier connection');
  };

  return { get, list, create, update, remove };
};

export type CarriersService = ReturnType<typeof createCarriersService>;
