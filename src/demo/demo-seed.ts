import { randomBytes } from 'node:crypto';
import type { AccountsRepo } from '../accounts/accounts-repo.js';
import { newApiKey } from '../accounts/accounts-service.js';
import type { ContactsService } from '../contacts/contacts-service.js';
import { withTransaction, type Db } from '../db/db.js';
import type { GroupsService } from '../groups/groups-service.js';
import type { LinesService } from '../lines/lines-service.js';
import type { UsersService } from '../users/users-service.js';
import type { WorkflowsService } from '../workflows/workflows-service.js';
import type { DemoRepo } from './demo-repo.js';

export const DEMO_EMAIL = 'demo@switchboard.local';
export const DEMO_LINE = '+15555550100';
const DEMO_GREETING = 'Welcome to the Switchboard demo line. Enter your four character code, for example R E S Q.';

const GROUPS = [
  { name: 'Responders', description: 'People called out in an emergency' },
  { name: 'Managers', description: 'Told about every alert' },
];
const CONTACTS = [
  { name: 'Alex Rivera', phone: '+15555550101', email: 'alex@demo.switchboard.local', groups: ['Responders'] },
  { name: 'Sam Chen', phone: '+15555550102', email: 'sam@demo.switchboard.local', groups: ['Responders'] },
  { name: 'Jordan Patel', phone: '+15555550103', email: 'jordan@demo.switchboard.local', groups: ['Responders', 'Managers'] },
  { name: 'Morgan Lee', phone: '+15555550104', email: 'morgan@demo.switchboard.local', groups: ['Managers'], onDuty: false },
];

export type DemoSeedDeps = {
  db: Db;
  demo: DemoRepo;
  accounts: Pick<AccountsRepo, 'insertApiKey'>;
  users: Pick<UsersService, 'createUser' | 'updateUser'>;
  lines: Pick<LinesService, 'create'>;
  groups: Pick<GroupsService, 'create' | 'addMembers'>;
  contacts: Pick<ContactsService, 'create'>;
  workflows: Pick<WorkflowsService, 'create'>;
};

/** What a seeding run did. Secrets are set only when they were created by this run. */
export type DemoSeedResult = {
  accountId: string;
  accountCreated: boolean;
  apiKey: string | null;
  adminEmail: string;
  adminPassword: string | null;
  lineId: string;
  created: string[];
};

/**
 * Seeds (idempotently) the demo account: API key, dashboard admin, a simulator line, two groups,
 * contacts on fictional 555 numbers, a code-activated workflow (RESQ = 7377) and a dashboard
 * workflow with placeholders. A second run finds everything and creates nothing. Runs holding
 * an advisory lock, so two quick starts at once do not both seed.
 */
export const seedDemo = async (deps: DemoSeedDeps, opts: { resetPassword?: boolean } = {}): Promise<DemoSeedResult> => {
  const lock = await deps.db.connect();
  try {
    await deps.demo.lockDemoSeed(lock);
    return await seed(deps, opts);
  } finally {
    await deps.demo.unlockDemoSeed(lock).catch(() => undefined);
    lock.release();
  }
};

const seed = async (deps: DemoSeedDeps, opts: { resetPassword?: boolean }): Promise<DemoSeedResult> => {
  const { db, demo } = deps;
  const created: string[] = [];
  let apiKey: string | null = null;
  let accountId = await demo.findDemoAccountId(db);
  const accountCreated = !accountId;
  if (!accountId) {
    accountId = await withTransaction(db, async (tx) => {
      const id = await demo.insertDemoAccount(tx, DEMO_EMAIL);
      const k = newApiKey();
      await deps.accounts.insertApiKey(tx, id, 'demo', k);
      apiKey = k.key;
      return id;
    });
    created.push('account');
  }

  let adminPassword: string | null = null;
  const userId = await demo.findUserIdByEmail(db, DEMO_EMAIL);
  if (!userId) {
    adminPassword = randomBytes(12).toString('base64url');
    await deps.users.createUser(accountId, { email: DEMO_EMAIL, name: 'Demo admin', password: adminPassword, role: 'admin' });
    created.push('admin user');
  } else if (opts.resetPassword) {
    adminPassword = randomBytes(12).toString('base64url');
    await deps.users.updateUser(accountId, userId, { password: adminPassword });
  }

  let lineId = await demo.findLineIdByNumber(db, accountId, DEMO_LINE);
  if (!lineId) {
    lineId = (await deps.lines.create(accountId, { phoneNumber: DEMO_LINE, name: 'Demo line', provider: 'simulator', greeting: DEMO_GREETING })).id;
    created.push('line');
  }

  const groupIds: Record<string, string> = {};
  for (const g of GROUPS) {
    let id = await demo.findGroupIdByName(db, accountId, g.name);
    if (!id) {
      id = (await deps.groups.create(accountId, g)).id;
      created.push(`group ${g.name}`);
    }
    groupIds[g.name] = id;
  }

  for (const c of CONTACTS) {
    let id = await demo.findContactIdByPhone(db, accountId, c.phone);
    if (!id) {
      const { groups, ...fields } = c;
      id = (await deps.contacts.create(accountId, fields)).id;
      for (const g of groups) await deps.groups.addMembers(accountId, groupIds[g]!, [id]);
      created.push(`contact ${c.name}`);
    }
  }

  const workflows = [
    {
      name: 'Rescue callout',
      description: 'Call the demo line and key RESQ (7377), or text RESQ to it: every responder gets a text.',
      codeActivation: { lineId, code: 'RESQ' },
      actions: [{ id: 'notify-responders', type: 'notification' as const, groupIds: [groupIds.Responders!], channels: ['sms' as const], message: 'RESCUE CALLOUT: please call the duty desk now. Reply to this text if you are on your way.' }],
    },
    {
      name: 'Site alert',
      description: 'Sent from the dashboard: fill in the site and what happened.',
      actions: [{ id: 'notify-all', type: 'notification' as const, groupIds: [groupIds.Responders!, groupIds.Managers!], channels: ['sms' as const, 'email' as const], subject: 'Alert at [[site]]', message: 'Alert at [[site]]: [[details]]' }],
    },
  ];
  for (const w of workflows) {
    const exists = await demo.findWorkflowIdByName(db, accountId, w.name);
    if (!exists) {
      await deps.workflows.create(accountId, w);
      created.push(`workflow ${w.name}`);
    }
  }

  return { accountId, accountCreated, apiKey, adminEmail: DEMO_EMAIL, adminPassword, lineId, created };
};

/** The text the `demo` command prints: secrets only when this run created them. */
export const demoReport = (r: DemoSeedResult, publicUrl: string): string => {
  const lines = [
    r.accountCreated ? `Demo account created: ${r.accountId}` : `Demo account exists: ${r.accountId} (nothing to do${r.created.length ? `; added ${r.created.join(', ')}` : ''})`,
    r.apiKey
      ? `  API key (shown once, keep it): ${r.apiKey}`
      : `  API key: issued on the first run and not shown again; make another with\n    npx switchboard accounts keys create --account ${r.accountId}`,
    r.adminPassword
      ? `  Dashboard sign-in: ${r.adminEmail} / ${r.adminPassword}   (shown once)`
      : `  Dashboard sign-in: ${r.adminEmail} (password shown on the first run; new one: npx switchboard demo --reset-password)`,
    `  Demo line (simulator): ${DEMO_LINE}. Code RESQ (keypad 7377) texts the Responders group.`,
    '',
    `  API:       ${publicUrl}/v1   (Authorization: Bearer <API key>)`,
    `  API docs:  ${publicUrl}/docs`,
    `  Dashboard: ${publicUrl}/`,
  ];
  return `${lines.join('\n')}\n`;
};
