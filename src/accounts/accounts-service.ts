import { sha256Hex, randomToken } from '../crypto.js';
import type { PoolClient } from 'pg';
import { withTransaction, type Db } from '../db/db.js';
import { NotFoundError, UnauthorizedError } from '../errors.js';
import { isValidTimeZone } from '../calendar/schedule-types.js';
import { ValidationError } from '../errors.js';
import type { Account, AccountPatch, AccountsRepo } from './accounts-repo.js';

export type { Account, ApiKey } from './accounts-repo.js';

/** Who is calling: every query is scoped by `accountId`. API keys act as admins. */
export type AuthContext = { accountId: string; role: 'admin' | 'member'; via: 'api_key' | 'session'; userId?: string; apiKeyId?: string };

/** A new key, format `sb_<prefix>_<secret>`: only the SHA-256 of the whole key is stored; `key` is shown once. */
export const newApiKey = () => {
  const prefix = randomToken(6).replace(/[-_]/g, 'x').slice(0, 8);
  const key = `sb_${prefix}_${randomToken(24)}`;
  return { key, prefix: `sb_${prefix}`, hash: sha256Hex(key) };
};

export type AccountsServiceDeps = {
  db: Db;
  accounts: Pick<AccountsRepo, 'insertAccount' | 'findAccount' | 'updateAccount' | 'insertApiKey' | 'useApiKey' | 'listApiKeys' | 'revokeApiKey'>;
  /**
   * Told, in the same transaction, when an account's time zone changes (schedules that follow
   * it recompute their next occurrence). A hook that throws rolls the whole update back.
   */
  onTimezoneChange?: ReadonlyArray<(tx: PoolClient, change: { accountId: string; timezone: string }) => Promise<void>>;
};

export const createAccountsService = (deps: AccountsServiceDeps) => {
  const { db, accounts: repo } = deps;

  const issueKey = async (q: Db | PoolClient, accountId: string, name: string) => {
    const k = newApiKey();
    return { apiKey: await repo.insertApiKey(q, accountId, name, k), key: k.key };
  };

  /** Creates an account and its first API key; the key is returned once and never again. */
  const createAccount = async (input: { name: string; timezone?: string; ownerEmails?: string[] }) => {
    if (!input.name.trim()) throw ValidationError.field('name', 'may not be empty');
    if (input.timezone && !isValidTimeZone(input.timezone)) throw ValidationError.field('timezone', 'must be an IANA time zone');
    return withTransaction(db, async (tx) => {
      const account = await repo.insertAccount(tx, { name: input.name.trim(), timezone: input.timezone ?? 'UTC', ownerEmails: input.ownerEmails ?? [] });
      const { apiKey, key } = await issueKey(tx, account.id, 'default');
      return { account, apiKey, key };
    });
  };

  const getAccount = async (accountId: string): Promise<Account> => {
    const account = await repo.findAccount(db, accountId);
    if (!account) throw new NotFoundError('account');
    return account;
  };

  /**
   * Updates the account in one transaction; a new time zone is passed to every
   * `onTimezoneChange` hook inside it, so the zone and what follows it change together or not at all.
   * `settings` is merged key by key into the stored settings (a key set to null is removed), so
   * two sections of the dashboard saved at once do not overwrite each other.
   */
  const updateAccount = async (accountId: string, patch: AccountPatch) => {
    if (patch.timezone && !isValidTimeZone(patch.timezone)) throw ValidationError.field('timezone', 'must be an IANA time zone');
    return withTransaction(db, async (tx) => {
      const prev = await repo.findAccount(tx, accountId, true);
      if (!prev) throw new NotFoundError('account');
      const account = (await repo.updateAccount(tx, accountId, patch))!;
      if (account.timezone !== prev.timezone) {
        for (const hook of deps.onTimezoneChange ?? []) await hook(tx, { accountId, timezone: account.timezone });
      }
      return account;
    });
  };

  /** Resolves a bearer key to its account; revoked or unknown keys are refused alike. */
  const authenticateKey = async (key: string): Promise<AuthContext> => {
    if (!/^sb_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{20,}$/.test(key)) throw new UnauthorizedError('invalid API key');
    const found = await repo.useApiKey(db, sha256Hex(key));
    if (!found) throw new UnauthorizedError('invalid API key');
    return { accountId: found.accountId, role: 'admin', via: 'api_key', apiKeyId: found.id };
  };

  const listKeys = (accountId: string) => repo.listApiKeys(db, accountId);

  const createKey = (accountId: string, name: string) => issueKey(db, accountId, name);

  const revokeKey = async (accountId: string, id: string) => {
    const key = await repo.revokeApiKey(db, accountId, id);
    if (!key) throw new NotFoundError('API key');
    return key;
  };

  return { createAccount, getAccount, updateAccount, authenticateKey, listKeys, createKey, revokeKey };
};

export type AccountsService = ReturnType<typeof createAccountsService>;
