import { hash, verify } from '@node-rs/argon2';
import type { Db } from '../db/db.js';
import { mapPgError } from '../db/db.js';
import { NotFoundError, UnauthorizedError, ValidationError } from '../errors.js';

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

type Row = Record<string, any>;
const toUser = (r: Row): User => ({
  id: r.id, accountId: r.account_id, email: r.email, name: r.name, role: r.role, createdAt: r.created_at, disabledAt: r.disabled_at,
  contactId: r.contact_id ?? null,
});

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

/**
 * argon2id with the library's defaults (19 MiB, 2 passes, 1 lane: the OWASP baseline). The
 * parameters live in the PHC string, so raising them later still verifies old hashes.
 */
export const hashPassword = (password: string): Promise<string> => hash(password);

// Verified when the e-mail is unknown, so a miss costs as long as a wrong password.
let dummyHash: Promise<string> | null = null;
const dummy = () => (dummyHash ??= hash('switchboard-dummy-password-for-timing'));

const checkPassword = (password: string, path = 'password') => {
  if (password.length < PASSWORD_MIN) throw ValidationError.field(path, `must be at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) throw ValidationError.field(path, `must be at most ${PASSWORD_MAX} characters`);
};

export type NewUser = { email: string; name?: string; password: string; role: UserRole };

export type UsersServiceDeps = { db: Db };

/**
 * Dashboard users of an account. E-mails are unique across all accounts (case-insensitive),
 * so sign-in needs only e-mail and password. Passwords are stored as argon2id hashes only.
 */
export const createUsersService = (deps: UsersServiceDeps) => {
  /** Creates a user; a taken e-mail is a 409 naming `email`. */
  const createUser = async (accountId: string, input: NewUser): Promise<User> => {
    checkPassword(input.password);
    const passwordHash = await hashPassword(input.password);
    try {
      const res = await deps.db.query(
        'INSERT INTO users (account_id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5) RETURNING *',
        [accountId, input.email.trim(), (input.name ?? '').trim(), passwordHash, input.role],
      );
      return toUser(res.rows[0]);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ValidationError('email: is already in use', [{ path: 'email', message: 'is already in use' }], 'conflict');
      }
      return mapPgError(err);
    }
  };

  const listUsers = async (accountId: string): Promise<User[]> => {
    const res = await deps.db.query('SELECT * FROM users WHERE account_id = $1 ORDER BY created_at, id', [accountId]);
    return res.rows.map(toUser);
  };

  const getUser = async (accountId: string, id: string): Promise<User> => {
    const res = await deps.db.query('SELECT * FROM users WHERE account_id = $1 AND id = $2', [accountId, id]);
    if (!res.rows[0]) throw new NotFoundError('user');
    return toUser(res.rows[0]);
  };

  /**
   * Changes name, role or password, or disables/enables the user. Disabling signs the user out
   * everywhere (their sessions are deleted in the same statement's transaction).
   */
  const updateUser = async (
    accountId: string,
    id: string,
    patch: { name?: string; role?: UserRole; password?: string; disabled?: boolean },
  ): Promise<User> => {
    if (patch.password !== undefined) checkPassword(patch.password);
    const passwordHash = patch.password !== undefined ? await hashPassword(patch.password) : null;
    const res = await deps.db.query(
      `WITH u AS (
         UPDATE users SET name = COALESCE($3, name), role = COALESCE($4, role), password_hash = COALESCE($5, password_hash),
                disabled_at = CASE WHEN $6::boolean IS NULL THEN disabled_at WHEN $6 THEN COALESCE(disabled_at, now()) ELSE NULL END
          WHERE account_id = $1 AND id = $2 RETURNING *
       ), gone AS (
         DELETE FROM sessions s USING u WHERE s.user_id = u.id AND (u.disabled_at IS NOT NULL OR $5::text IS NOT NULL)
       )
       SELECT * FROM u`,
      [accountId, id, patch.name?.trim() ?? null, patch.role ?? null, passwordHash, patch.disabled ?? null],
    );
    if (!res.rows[0]) throw new NotFoundError('user');
    return toUser(res.rows[0]);
  };

  /**
   * Checks e-mail and password. Unknown e-mail, wrong password and disabled user are the same
   * 401, and take about the same time, so sign-in does not reveal which e-mails exist.
   */
  const verifyLogin = async (email: string, password: string): Promise<User> => {
    const res = await deps.db.query('SELECT * FROM users WHERE lower(email) = lower($1)', [email.trim()]);
    const row = res.rows[0];
    const ok = password.length <= PASSWORD_MAX && (await verify(row?.password_hash ?? (await dummy()), password).catch(() => false));
    if (!row || !ok || row.disabled_at) throw new UnauthorizedError('wrong e-mail or password');
    return toUser(row);
  };

  return { createUser, listUsers, getUser, updateUser, verifyLogin };
};

export type UsersService = ReturnType<typeof createUsersService>;
