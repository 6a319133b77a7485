import type { Queryable } from '../db/db.js';

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

/** The fields an account update may set; absent ones are kept. */
export type AccountPatch = { name?: string; timezone?: string; helpText?: string; ownerEmails?: string[]; settings?: Record<string, unknown> };

const toAccount = (r: Record<string, any>): Account => ({
  id: r.id, name: r.name, timezone: r.timezone, helpText: r.help_text, ownerEmails: r.owner_emails,
  settings: r.settings, createdAt: r.created_at,
});
const toKey = (r: Record<string, any>): ApiKey => ({
  id: r.id, name: r.name, prefix: r.prefix, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at,
});

export const insertAccount = async (q: Queryable, a: { name: string; timezone: string; ownerEmails: string[] }): Promise<Account> => {
  const res = await q.query('INSERT INTO accounts (name, timezone, owner_emails) VALUES ($1, $2, $3) RETURNING *', [a.name, a.timezone, a.ownerEmails]);
  return toAccount(res.rows[0]);
};

/** The account; `lock` takes its row lock for an update. */
export const findAccount = async (q: Queryable, accountId: string, lock = false): Promise<Account | null> => {
  const res = await q.query(`SELECT * FROM accounts WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [accountId]);
  return res.rows[0] ? toAccount(res.rows[0]) : null;
};

/**
 * Sets the given fields in one statement. `settings` is merged key by key into the stored
 * object (jsonb `||`): keys left out keep their value, a key sent as null is removed. So two
 * clients saving different settings at once both keep theirs.
 */
export const updateAccount = async (q: Queryable, accountId: string, patch: AccountPatch): Promise<Account | null> => {
  const settings = patch.settings ?? null;
  const cleared = settings ? Object.keys(settings).filter((k) => settings[k] === null) : [];
  const set = settings ? Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== null)) : null;
  const res = await q.query(
    `UPDATE accounts SET name = COALESCE($2, name), timezone = COALESCE($3, timezone), help_text = COALESCE($4, help_text),
            owner_emails = COALESCE($5, owner_emails), settings = (settings || COALESCE($6::jsonb, '{}'::jsonb)) - $7::text[]
      WHERE id = $1 RETURNING *`,
    [accountId, patch.name ?? null, patch.timezone ?? null, patch.helpText ?? null, patch.ownerEmails ?? null,
      set ? JSON.stringify(set) : null, cleared],
  );
  return res.rows[0] ? toAccount(res.rows[0]) : null;
};

/** Stores a key by its prefix and SHA-256 (the key itself is never stored). */
export const insertApiKey = async (q: Queryable, accountId: string, name: string, k: { prefix: string; hash: string }): Promise<ApiKey> => {
  const res = await q.query('INSERT INTO api_keys (account_id, name, prefix, key_hash) VALUES ($1,$2,$3,$4) RETURNING *', [accountId, name, k.prefix, k.hash]);
  return toKey(res.rows[0]);
};

/**
 * The live (not revoked) key with this hash, touching its last_used_at at most once a minute,
 * in one round trip; null when there is none.
 */
export const useApiKey = async (q: Queryable, hash: string): Promise<{ id: string; accountId: string } | null> => {
  const res = await q.query(
    `WITH k AS (SELECT id, account_id, last_used_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL),
          touched AS (UPDATE api_keys SET last_used_at = now()
                       WHERE id IN (SELECT id FROM k WHERE last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))
     SELECT id, account_id FROM k`,
    [hash],
  );
  return res.rows[0] ? { id: res.rows[0].id, accountId: res.rows[0].account_id } : null;
};

export const listApiKeys = async (q: Queryable, accountId: string): Promise<ApiKey[]> => {
  const res = await q.query('SELECT * FROM api_keys WHERE account_id = $1 ORDER BY created_at', [accountId]);
  return res.rows.map(toKey);
};

/** Revokes the key (a revoked key keeps its first revocation time); null when no such key. */
export const revokeApiKey = async (q: Queryable, accountId: string, id: string): Promise<ApiKey | null> => {
  const res = await q.query('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE account_id = $1 AND id = $2 RETURNING *', [accountId, id]);
  return res.rows[0] ? toKey(res.rows[0]) : null;
};

export const accountsRepo = { insertAccount, findAccount, updateAccount, insertApiKey, useApiKey, listApiKeys, revokeApiKey };
export type AccountsRepo = typeof accountsRepo;
