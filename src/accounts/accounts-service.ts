import { sha256Hex, randomToken } from '../crypto.js';
import type { PoolClient } from 'pg';
import { withTransaction, type Db, type Queryable } from '../db/db.js';
import { NotFoundError, UnauthorizedError } from '../errors.js';
import { isValidTimeZone } from '../calendar/schedule-types.js';
import { ValidationError } from '../errors.js';

export type Account = {
  id: string;
  name: string;
  timezone: string;
  helpText: string;
  ownerEmails: string[];
  settings: Record<string, unknown>;
  createdAt: Date;
};

export type ApiKey = { id: string; name: string; prefix: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null };

/** Who is calling: every query is scoped by `accountId`. API keys act as admins. */
export type AuthContext = { accountId: string; role: 'admin' | 'member'; via: 'api_key' | 'session'; userId?: string; apiKeyId?: string };

const toAccount = (r: Record<string, any>): Account => ({
  id: r.id, name: r.name, timezone: r.timezone, helpText: r.help_text, ownerEmails: r.owner_emails,
  settings: r.settings, createdAt: r.created_at,
});
const toKey = (r: Record<string, any>): ApiKey => ({
  id: r.id, name: r.name, prefix: r.prefix, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at,
});

/** Key format: `sb_<prefix>_<secret>`; only the SHA-256 of the whole key is stored. */
const newKey = () => {
  const prefix = randomToken(6).replace(/[-_]/g, 'x').slice(0, 8);
  const key = `sb_${prefix}_${randomToken(24)}`;
  return { key, prefix: `sb_${prefix}`, hash: sha256Hex(key) };
};

export const insertApiKey = async (q: Queryable, accountId: string, name: string) => {
  const k = newKey();
  const res = await q.query('INSERT INTO api_keys (account_id, name, prefix, key_hash) VALUES ($1,$2,$3,$4) RETURNING *', [accountId, name, k.prefix, k.hash]);
  return { apiKey: toKey(res.rows[0]), key: k.key };
};

export type AccountsServiceDeps = {
  db: Db;
  /**
   * Told, in the same transaction, when an account's time zone changes (schedules that follow
   * it recompute their next occurrence). A hook that throws rolls the whole update back.
   */
  onTimezoneChange?: ReadonlyArray<(tx: PoolClient, change: { accountId: string; timezone: string }) => Promise<void>>;
};

export const createAccountsService = (deps: AccountsServiceDeps) => {
  /** Creates an account and its first API key; the key is returned once and never again. */
  const createAccount = async (input: { name: string; timezone?: string; ownerEmails?: string[] }) => {
    if (!input.name.trim()) throw ValidationError.field('name', 'may not be empty');
    if (input.timezone && !isValidTimeZone(input.timezone)) throw ValidationError.field('timezone', 'must be an IANA time zone');
    return withTransaction(deps.db, async (tx) => {
      const res = await tx.query('INSERT INTO accounts (name, timezone, owner_emails) VALUES ($1, $2, $3) RETURNING *', [
        input.name.trim(), input.timezone ?? 'UTC', input.ownerEmails ?? [],
      ]);
      const account = toAccount(res.rows[0]);
      const { apiKey, key } = await insertApiKey(tx, account.id, 'default');
      return { account, apiKey, key };
    });
  };

  const getAccount = async (accountId: string): Promise<Account> => {
    const res = await deps.db.query('SELECT * FROM accounts WHERE id = $1', [accountId]);
    if (!res.rows[0]) throw new NotFoundError('account');
    return toAccount(res.rows[0]);
  };

  /**
   * Updates the account in one transaction; a new time zone is passed to every
   * `onTimezoneChange` hook inside it, so the zone and what follows it change together or not at all.
   */
  const updateAccount = async (accountId: string, patch: { name?: string; timezone?: string; helpText?: string; ownerEmails?: string[]; settings?: Record<string, unknown> }) => {
    if (patch.timezone && !isValidTimeZone(patch.timezone)) throw ValidationError.field('timezone', 'must be an IANA time zone');
    return withTransaction(deps.db, async (tx) => {
      const prev = await tx.query('SELECT timezone FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
      if (!prev.rows[0]) throw new NotFoundError('account');
      const res = await tx.query(
        `UPDATE accounts SET name = COALESCE($2, name), timezone = COALESCE($3, timezone), help_text = COALESCE($4, help_text),
                owner_emails = COALESCE($5, owner_emails), settings = COALESCE($6, settings)
          WHERE id = $1 RETURNING *`,
        [accountId, patch.name ?? null, patch.timezone ?? null, patch.helpText ?? null, patch.ownerEmails ?? null,
          patch.settings ? JSON.stringify(patch.settings) : null],
      );
      const account = toAccount(res.rows[0]);
      if (account.timezone !== prev.rows[0].timezone) {
        for (const hook of deps.onTimezoneChange ?? []) await hook(tx, { accountId, timezone: account.timezone });
      }
      return account;
    });
  };

  /** Resolves a bearer key to its account; revoked or unknown keys are refused alike. */
  const authenticateKey = async (key: string): Promise<AuthContext> => {
    if (!/^sb_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{20,}$/.test(key)) throw new UnauthorizedError('invalid API key');
    // One round trip: find the key, and touch last_used_at at most once a minute.
    const res = await deps.db.query(
      `WITH k AS (SELECT id, account_id, last_used_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL),
            touched AS (UPDATE api_keys SET last_used_at = now()
                         WHERE id IN (SELECT id FROM k WHERE last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))
       SELECT id, account_id FROM k`,
      [sha256Hex(key)],
    );
    const row = res.rows[0];
    if (!row) throw new UnauthorizedError('invalid API key');
    return { accountId: row.account_id, role: 'admin', via: 'api_key', apiKeyId: row.id };
  };

  const listKeys = async (accountId: string): Promise<ApiKey[]> => {
    const res = await deps.db.query('SELECT * FROM api_keys WHERE account_id = $1 ORDER BY created_at', [accountId]);
    return res.rows.map(toKey);
  };

  const createKey = (accountId: string, name: string) => insertApiKey(deps.db, accountId, name);

  const revokeKey = async (accountId: string, id: string): Promise<ApiKey> => {
    const res = await deps.db.query(
      'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE account_id = $1 AND id = $2 RETURNING *',
      [accountId, id],
    );
    if (!res.rows[0]) throw new NotFoundError('API key');
    return toKey(res.rows[0]);
  };

  return { createAccount, getAccount, updateAccount, authenticateKey, listKeys, createKey, revokeKey };
};

export type AccountsService = ReturnType<typeof createAccountsService>;
