import { hash, verify } from '@node-rs/argon2';
import type { Db } from '../db/db.js';
import { NotFoundError, UnauthorizedError, ValidationError } from '../errors.js';
import type { User, UserRole, UsersRepo } from './users-repo.js';

export { userRoles, type User, type UserRole } from './users-repo.js';

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

export type UsersServiceDeps = { db: Db; users: Pick<UsersRepo, 'insertUser' | 'listUsers' | 'findUser' | 'updateUser' | 'findLoginByEmail'> };

/**
 * Dashboard users of an account. E-mails are unique across all accounts (case-insensitive),
 * so sign-in needs only e-mail and password. Passwords are stored as argon2id hashes only.
 */
export const createUsersService = (deps: UsersServiceDeps) => {
  /** Creates a user; a taken e-mail is a 409 naming `email`. */
  const { db, users: repo } = deps;

  /** Creates a user; a taken e-mail is a 409 naming `email`. */
  const createUser = async (accountId: string, input: NewUser): Promise<User> => {
    checkPassword(input.password);
    const passwordHash = await hashPassword(input.password);
    return repo.insertUser(db, accountId, { email: input.email.trim(), name: (input.name ?? '').trim(), passwordHash, role: input.role });
  };

  const listUsers = (accountId: string): Promise<User[]> => repo.listUsers(db, accountId);

  const getUser = async (accountId: string, id: string): Promise<User> => {
    const user = await repo.findUser(db, accountId, id);
    if (!user) throw new NotFoundError('user');
    return user;
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
    const user = await repo.updateUser(db, accountId, id, { name: patch.name?.trim() ?? null, role: patch.role ?? null, passwordHash, disabled: patch.disabled ?? null });
    if (!user) throw new NotFoundError('user');
    return user;
  };

  /**
   * Checks e-mail and password. Unknown e-mail, wrong password and disabled user are the same
   * 401, and take about the same time, so sign-in does not reveal which e-mails exist.
   */
  const verifyLogin = async (email: string, password: string): Promise<User> => {
    const found = await repo.findLoginByEmail(db, email.trim());
    const ok = password.length <= PASSWORD_MAX && (await verify(found?.passwordHash ?? (await dummy()), password).catch(() => false));
    if (!found || !ok || found.user.disabledAt) throw new UnauthorizedError('wrong e-mail or password');
    return found.user;
  };

  return { createUser, listUsers, getUser, updateUser, verifyLogin };
};

export type UsersService = ReturnType<typeof createUsersService>;
