/**
 * `switchboard users create --account <id> --email <e> [--name] [--role admin|member]`: the first
 * dashboard admin of an account (later ones can be added from the dashboard). The password is
 * generated, printed once and stored only as an argon2id hash. A composition root like src/cli.ts.
 */
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { randomToken } from '../crypto.js';
import { createPool, isUuid } from '../db/db.js';
import { AppError } from '../errors.js';
import { createUsersService, userRoles, type UserRole } from './users-service.js';
import { usersRepo } from './users-repo.js';

export const registerUsers = (program: Command, config: () => Config): void => {
  const users = program.commands.find((c) => c.name() === 'users') ?? program.command('users').description('manage dashboard users');
  users
    .command('create')
    .description('create a dashboard user and print their generated password once')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--email <email>', 'sign-in e-mail')
    .option('--name <name>', 'display name', '')
    .option('--role <role>', 'admin or member', 'admin')
    .action(async (opts: { account: string; email: string; name: string; role: string }) => {
      if (!isUuid(opts.account)) fail('--account must be an account id (a UUID)');
      if (!(userRoles as readonly string[]).includes(opts.role)) fail('--role must be admin or member');
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(opts.email)) fail('--email must be an e-mail address');
      const cfg = config();
      const db = createPool(cfg.DATABASE_URL, 2);
      try {
        const password = randomToken(15);
        const user = await createUsersService({ db, users: usersRepo }).createUser(opts.account, { email: opts.email, name: opts.name, password, role: opts.role as UserRole });
        process.stdout.write(`created ${user.role} ${user.email} (${user.id})\npassword (shown once): ${password}\nsign in at ${cfg.PUBLIC_URL}/\n`);
      } catch (err) {
        if (err instanceof AppError && err.status < 500) fail(err.message === 'a referenced object does not exist' ? 'no such account' : err.message);
        throw err;
      } finally {
        await db.end();
      }
    });
};

const fail = (message: string): never => {
  process.stderr.write(`switchboard: ${message}\n`);
  process.exit(2);
};
