import { mapPgError, type Queryable } from '../db/db.js';
import { ValidationError } from '../errors.js';

export const userRoles = ['admin', 'member'] as const;
/** Admins configure (workflows, lines, contacts, users); members read, activate and watch. */
export type UserRole = (typeof userRoles)[number];

export type User = {
  id: string;
  accountId: string;
  email: string;
  name: string;
  role: UserRole;
  createdAt: Date;
  disabledAt: Date | null;
  /** The contact this user is (responder view, Web Push); null when not linked (PUT /v1/users/:id/contact). */
  contactId: string | null;
};

const toUser = (r: Record<string, any>): User => ({
  id: r.id, accountId: r.account_id, email: r.email, name: r.name, role: r.role, createdAt: r.created_at, disabledAt: r.disabled_at,
  contactId: r.contact_id ?? null,
});

/** A new user; a taken e-mail (any account, any case) is a 409 naming `email`. */
export const insertUser = async (
  q: Queryable, accountId: string, u: { email: string; name: string; passwordHash: string; role: UserRole },
): Promise<User> => {
  try {
    const res = await q.query(
      'INSERT INTO users (account_id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5) RETURNING *',
      [accountId, u.email, u.name, u.passwordHash, u.role],
    );
    return toUser(res.rows[0]);
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      throw new ValidationError('email: is already in use', [{ path: 'email', message: 'is already in use' }], 'conflict');
    }
    return mapPgError(err);
  }
};

export const listUsers = async (q: Queryable, accountId: string): Promise<User[]> => {
  const res = await q.query('SELECT * FROM users WHERE account_id = $1 ORDER BY created_at, id', [accountId]);
  return res.rows.map(toUser);
};

export const findUser = async (q: Queryable, accountId: string, id: string): Promise<User | null> => {
  const res = await q.query('SELECT * FROM users WHERE account_id = $1 AND id = $2', [accountId, id]);
  return res.rows[0] ? toUser(res.rows[0]) : null;
};

/**
 * Sets the given fields (`disabled` true keeps the first disable time, false enables) and, in
 * the same statement, deletes the user's sessions when the user ends up disabled or gets a new
 * password. Null when no such user.
 */
export const updateUser = async (
  q: Queryable, accountId: string, id: string,
  patch: { name: string | null; role: UserRole | null; passwordHash: string | null; disabled: boolean | null },
): Promise<User | null> => {
  const res = await q.query(
    `WITH u AS (
       UPDATE users SET name = COALESCE($3, name), role = COALESCE($4, role), password_hash = COALESCE($5, password_hash),
              disabled_at = CASE WHEN $6::boolean IS NULL THEN disabled_at WHEN $6 THEN COALESCE(disabled_at, now()) ELSE NULL END
        WHERE account_id = $1 AND id = $2 RETURNING *
     ), gone AS (
       DELETE FROM sessions s USING u WHERE s.user_id = u.id AND (u.disabled_at IS NOT NULL OR $5::text IS NOT NULL)
     )
     SELECT * FROM u`,
    [accountId, id, patch.name, patch.role, patch.passwordHash, patch.disabled],
  );
  return res.rows[0] ? toUser(res.rows[0]) : null;
};

/** The user with this e-mail (any case) and their password hash, for sign-in. */
export const findLoginByEmail = async (q: Queryable, email: string): Promise<{ user: User; passwordHash: string } | null> => {
  const res = await q.query('SELECT * FROM users WHERE lower(email) = lower($1)', [email]);
  return res.rows[0] ? { user: toUser(res.rows[0]), passwordHash: res.rows[0].password_hash } : null;
};

export const usersRepo = { insertUser, listUsers, findUser, updateUser, findLoginByEmail };
export type UsersRepo = typeof usersRepo;
