/**
 * The `switchboard` CLI: one package, several roles (see ARCHITECTURE.md).
 * This file and src/main.ts are the composition roots.
 */
import { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createPool } from './db/db.js';
import { migrate } from './db/migrate.js';
import { createLogger } from './logger.js';
import { createRuntime, type Roles } from './main.js';
import { createAccountsService } from './accounts/accounts-service.js';
import { accountsRepo } from './accounts/accounts-repo.js';

const config = (): Config => {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`switchboard: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
};

const run = async (roles: Roles) => {
  const cfg = config();
  const logger = createLogger(cfg.LOG_LEVEL);
  const rt = await createRuntime(cfg, roles, logger);
  if (roles.web) {
    const address = await rt.listen();
    logger.info({ address }, 'switchboard listening');
  }
  if (roles.worker) logger.info('switchboard workers running');
  const metricsAddress = await rt.listenMetrics();
  if (metricsAddress) logger.info({ address: metricsAddress }, 'switchboard metrics listening');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests and jobs');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    rt.stop().then(() => process.exit(0), (err) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
};

export const program = new Command('switchboard').description('Voice and SMS workflow gateway');

program.command('serve').description('HTTP: webhooks, REST API, dashboard, websocket feed').action(() => run({ web: true, worker: false }));
program.command('work').description('BullMQ workers: planning, deliveries, schedules, sequences, rules').action(() => run({ web: false, worker: true }));
program.command('all').description('serve and work in one process').action(() => run({ web: true, worker: true }));

program.command('vapid').description('print a new Web Push VAPID key pair as VAPID_PUBLIC_KEY= / VAPID_PRIVATE_KEY= lines (needs no settings)')
  .action(async () => {
    const { default: webpush } = await import('web-push');
    const k = webpush.generateVAPIDKeys();
    process.stdout.write(`VAPID_PUBLIC_KEY=${k.publicKey}\nVAPID_PRIVATE_KEY=${k.privateKey}\n`);
  });

program.command('migrate').description('apply pending migrations').action(async () => {
  const cfg = config();
  const applied = await migrate(cfg.DATABASE_URL);
  process.stdout.write(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'database is up to date\n');
});

const accounts = program.command('accounts').description('manage accounts');
accounts
  .command('create')
  .description('create an account and print its API key once')
  .requiredOption('--name <name>', 'account name')
  .option('--timezone <tz>', 'IANA time zone', 'UTC')
  .option('--owner-email <email...>', 'owner e-mail address(es)')
  .action(async (opts: { name: string; timezone: string; ownerEmail?: string[] }) => {
    const cfg = config();
    const db = createPool(cfg.DATABASE_URL, 2);
    try {
      const svc = createAccountsService({ db, accounts: accountsRepo });
      const { account, key } = await svc.createAccount({ name: opts.name, timezone: opts.timezone, ownerEmails: opts.ownerEmail });
      process.stdout.write(`account ${account.id} (${account.name})\nAPI key (shown once): ${key}\n`);
    } finally {
      await db.end();
    }
  });

export const registerCommand = (fn: (p: Command, ctx: { config: () => Config; logger: typeof createLogger }) => void) =>
  fn(program, { config, logger: createLogger });

/**
 * Runs the CLI on `argv` (process.argv's shape). bin/switchboard.js calls it; so does running
 * this file directly (`tsx src/cli.ts`, `node dist/src/cli.js`). An error stops with exit code 1.
 */
export const main = async (argv: string[] = process.argv): Promise<void> => {
  const extras = await import('./cli-extras.js');
  extras.register(program, config);
  await program.parseAsync(argv).catch((err: unknown) => {
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
};

const isMain = process.argv[1] && /cli\.(ts|js)$/.test(process.argv[1]);
if (isMain) await main();
