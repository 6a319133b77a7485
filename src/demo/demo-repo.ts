/** The lookups the demo seeding uses to find what an earlier run created (by name, number or e-mail). */
import type { PoolClient } from 'pg';
import type { Queryable } from '../db/db.js';

const idOf = async (q: Queryable, sql: string, params: unknown[]): Promise<string | null> => (await q.query(sql, params)).rows[0]?.id ?? null;

/** Holds the demo seeding's session lock on this connection (waits while another run holds it). */
export const lockDemoSeed = async (c: PoolClient): Promise<void> => {
  await c.query('SELECT pg_advisory_lock(7003)');
};
export const unlockDemoSeed = async (c: PoolClient): Promise<void> => {
  await c.query('SELECT pg_advisory_unlock(7003)');
};

/** The oldest account flagged `settings.demo`. */
export const findDemoAccountId = (q: Queryable): Promise<string | null> =>
  idOf(q, `SELECT id FROM accounts WHERE settings @> '{"demo": true}' ORDER BY created_at LIMIT 1`, []);

/** A new account flagged `settings.demo`, owned by `ownerEmail`. */
export const insertDemoAccount = async (q: Queryable, ownerEmail: string): Promise<string> =>
  (await idOf(q, `INSERT INTO accounts (name, owner_emails, settings) VALUES ('Switchboard demo', $1, '{"demo": true}') RETURNING id`, [[ownerEmail]]))!;

export const findUserIdByEmail = (q: Queryable, email: string): Promise<string | null> =>
  idOf(q, 'SELECT id FROM users WHERE lower(email) = lower($1)', [email]);

export const findLineIdByNumber = (q: Queryable, accountId: string, phoneNumber: string): Promise<string | null> =>
  idOf(q, 'SELECT id FROM lines WHERE account_id = $1 AND phone_number = $2', [accountId, phoneNumber]);

export const findGroupIdByName = (q: Queryable, accountId: string, name: string): Promise<string | null> =>
  idOf(q, 'SELECT id FROM groups WHERE account_id = $1 AND lower(name) = lower($2)', [accountId, name]);

export const findContactIdByPhone = (q: Queryable, accountId: string, phone: string): Promise<string | null> =>
  idOf(q, 'SELECT id FROM contacts WHERE account_id = $1 AND phone = $2', [accountId, phone]);

export const findWorkflowIdByName = (q: Queryable, accountId: string, name: string): Promise<string | null> =>
  idOf(q, 'SELECT id FROM workflows WHERE account_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL', [accountId, name]);

export const demoRepo = {
  lockDemoSeed, unlockDemoSeed, findDemoAccountId, insertDemoAccount, findUserIdByEmail, findLineIdByNumber, findGroupIdByName,
  findContactIdByPhone, findWorkflowIdByName,
};
export type DemoRepo = typeof demoRepo;
