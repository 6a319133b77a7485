/**
 * Step 2: the services that own their tables and need no other feature — accounts, users and
 * sessions, lines and carriers, groups, prompts, workflows, schedules. Later steps take them from
 * this bundle.
 */
import { accountsRepo } from '../accounts/accounts-repo.js';
import { createAccountsService } from '../accounts/accounts-service.js';
import { shortUrlLength } from '../attachments/attachments-service.js';
import { carriersRepo } from '../carriers/carriers-repo.js';
import { createCarriersService } from '../carriers/carriers-service.js';
import { conversationsRepo } from '../conversations/conversations-repo.js';
import { createConversationsService } from '../conversations/conversations-service.js';
import { createSecretBox } from '../crypto.js';
import { contactsRepo } from '../contacts/contacts-repo.js';
import { groupsRepo } from '../groups/groups-repo.js';
import { createGroupsService } from '../groups/groups-service.js';
import { linesRepo } from '../lines/lines-repo.js';
import { createLinesService } from '../lines/lines-service.js';
import { createPromptsService } from '../prompts/prompts-service.js';
import { createAccountZoneHook } from '../schedule/schedule-account-zone.js';
import { createScheduleHook } from '../schedule/schedule-hook.js';
import { createScheduleService } from '../schedule/schedule-service.js';
import { schedulesRepo } from '../schedule/schedules-repo.js';
import { createSoftphoneLines } from '../softphone/softphone-lines.js';
import { createSimulatorOutbox } from '../telephony/simulator-outbox.js';
import { simulatorOutboxRepo } from '../telephony/simulator-outbox-repo.js';
import { createLoginLockout } from '../users/login-lockout.js';
import { sessionsRepo } from '../users/sessions-repo.js';
import { createSessionsService } from '../users/sessions-service.js';
import { usersRepo } from '../users/users-repo.js';
import { createUsersService } from '../users/users-service.js';
import { workflowsRepo } from '../workflows/workflows-repo.js';
import { createWorkflowsService } from '../workflows/workflows-service.js';
import type { Infra } from './init-infra.js';

export const initStores = (infra: Infra) => {
  const { db, config, clock } = infra;
  const secrets = createSecretBox(config.SECRET_KEY);
  // A new account zone recomputes, in the same transaction, the schedules that follow it.
  const accounts = createAccountsService({
    db, accounts: accountsRepo, onTimezoneChange: [createAccountZoneHook({ schedules: schedulesRepo, clock })],
  });
  const users = createUsersService({ db, users: usersRepo });
  const logins = createLoginLockout({
    redis: infra.redis, redisPrefix: config.REDIS_PREFIX, users, maxFailures: config.LOGIN_LOCKOUT_MAX_FAILURES,
    windowSeconds: config.LOGIN_LOCKOUT_WINDOW_SECONDS, lockSeconds: config.LOGIN_LOCKOUT_SECONDS,
  });
  /** Keeps workflow_schedules in step with workflows: the workflows service's onChange list. */
  const scheduleHook = createScheduleHook({ schedules: schedulesRepo, clock });
  const prompts = createPromptsService({ db }); // the prompt library: workflows pin a saved prompt's version on save
  return {
    secrets,
    clock,
    accounts,
    users,
    logins,
    sessions: createSessionsService({ db, sessions: sessionsRepo, ttlSeconds: Math.round(config.SESSION_TTL_HOURS * 3600) }),
    softphone: createSoftphoneLines({ db, secrets, secretKey: config.SECRET_KEY, publicUrl: config.PUBLIC_URL }),
    conversations: createConversationsService({ db, conversations: conversationsRepo }),
    schedules: createScheduleService({ db, schedules: schedulesRepo, clock }),
    scheduleHook,
    carriers: createCarriersService({ db, carriers: carriersRepo, secrets }),
    lines: createLinesService({ db, lines: linesRepo }),
    groups: createGroupsService({ db, groups: groupsRepo, contacts: contactsRepo }),
    prompts,
    workflows: createWorkflowsService({
      db, workflows: workflowsRepo, secrets, onChange: [scheduleHook], attachmentLinkLength: shortUrlLength(config.PUBLIC_URL),
      allowedWebhookHosts: config.WEBHOOK_ALLOWED_HOSTS, prompts,
    }),
    simulatorOutbox: createSimulatorOutbox({ db, outbox: simulatorOutboxRepo }),
  };
};
export type Stores = ReturnType<typeof initStores>;
