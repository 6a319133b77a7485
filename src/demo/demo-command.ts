/**
 * CLI commands: `switchboard demo` (idempotent demo seeding, run by the quick start) and
 * `switchboard accounts keys create --account <id>`. A composition root like src/cli.ts.
 */
import type { Command } from 'commander';
import { createAccountsService } from '../accounts/accounts-service.js';
import { accountsRepo } from '../accounts/accounts-repo.js';
import type { Config } from '../config.js';
import { createContactsService } from '../contacts/contacts-service.js';
import { createSecretBox } from '../crypto.js';
import { createPool, isUuid, type Db } from '../db/db.js';
import { createGroupsService } from '../groups/groups-service.js';
import { groupsRepo } from '../groups/groups-repo.js';
import { contactsRepo } from '../contacts/contacts-repo.js';
import { createLinesService } from '../lines/lines-service.js';
import { linesRepo } from '../lines/lines-repo.js';
import { createUsersService } from '../users/users-service.js';
import { usersRepo } from '../users/users-repo.js';
import { createWorkflowsService } from '../workflows/workflows-service.js';
import { workflowsRepo } from '../workflows/workflows-repo.js';
import { demoRepo } from './demo-repo.js';
import { demoReport, seedDemo, type DemoSeedDeps } from './demo-seed.js';

/** The seeding dependencies over one pool (no Redis needed). */
export const demoDeps = (db: Db, config: Pick<Config, 'SECRET_KEY'>): DemoSeedDeps => ({
  db,
  demo: demoRepo,
  accounts: accountsRepo,
  users: createUsersService({ db, users: usersRepo }),
  lines: createLinesService({ db, lines: linesRepo }),
  groups: createGroupsService({ db, groups: groupsRepo, contacts: contactsRepo }),
  contacts: createContactsService({ db, contacts: contactsRepo }),
  workflows: createWorkflowsService({ db, workflows: workflowsRepo, secrets: createSecretBox(config.SECRET_KEY) }),
});

const withPool = async <T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> => {
  const db = createPool(config.DATABASE_URL, 2);
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
};

export const registerDemo = (program: Command, config: () => Config): void => {
  program
    .command('demo')
    .description('seed the demo account, line, groups, contacts and workflows (idempotent; prints the API key once)')
    .option('--reset-password', 'give the demo dashboard user a new password and print it')
    .action(async (opts: { resetPassword?: boolean }) => {
      const cfg = config();
      const result = await withPool(cfg, (db) => seedDemo(demoDeps(db, cfg), { resetPassword: opts.resetPassword }));
      process.stdout.write(demoReport(result, cfg.PUBLIC_URL));
    });

  const accounts = program.commands.find((c) => c.name() === 'accounts') ?? program.command('accounts').description('manage accounts');
  accounts
    .command('keys')
    .description('manage API keys')
    .command('create')
    .description('create an API key for an account and print it once')
    .requiredOption('--account <id>', 'account id')
    .option('--name <name>', 'key name', 'cli')
    .action(async (opts: { account: string; name: string }) => {
      if (!isUuid(opts.account)) {
        process.stderr.write('switchboard: --account must be an account id (a UUID)\n');
        process.exit(2);
      }
      const cfg = config();
      const { apiKey, key } = await withPool(cfg, async (db) => {
        const svc = createAccountsService({ db, accounts: accountsRepo });
        await svc.getAccount(opts.account);
        return svc.createKey(opts.account, opts.name);
      });
      process.stdout.write(`API key ${apiKey.prefix} (${apiKey.name}) for account ${opts.account} (shown once): ${key}\n`);
    });
};
