/**
 * The telephony gateway's inbound services (calls, texts, status callbacks), wired from their
 * parts. The composition root (src/init/init-telephony.ts) passes the reply texts (ivr/) and the
 * features' lists, complete and in the order they run:
 * - `interceptors`: SMS interceptors run after the built-in STOP/START/HELP keywords, in order;
 * - `statusListeners`: told of every verified status callback, in order;
 * - `optOutListeners`: told of every STOP-type keyword, inside the opt-out's transaction;
 * - `tracking`: the call-tracking handler for lines in `tracking` mode (optional).
 * The carrier adapters' registry is not needed here: it is built after these services, since the
 * simulator's status reports go through `statuses.record`.
 */
import type { Redis } from 'ioredis';
import type { ActivationService } from '../engine/activation-service.js';
import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import { codesRepo } from './codes-repo.js';
import { conversationRepo } from './conversation-repo.js';
import { createInboundCallService } from './inbound-call-service.js';
import { inboundCallsRepo } from './inbound-calls-repo.js';
import type { SmsInterceptor } from './inbound-port.js';
import { createInboundSmsService, type SmsReplyTexts } from './inbound-sms-service.js';
import { gatewayLinesRepo } from './lines-repo.js';
import { createLockout } from './lockout.js';
import { createKeywordInterceptor, type KeywordReplies, type OptOutListener } from './sms-keywords.js';
import { smsOptOutsRepo } from './sms-opt-outs-repo.js';
import type { StatusListener } from '../engine/status-port.js';
import { createStatusService } from './status-service.js';
import type { TrackingCallHandler } from './tracking-port.js';

export type TelephonyServicesDeps = {
  db: Db;
  redis: Redis;
  config: Pick<Config, 'REDIS_PREFIX' | 'LOCKOUT_MAX_MISSES' | 'LOCKOUT_LINE_MAX_MISSES' | 'LOCKOUT_WINDOW_SECONDS' | 'LOCKOUT_SECONDS'>;
  activations: Pick<ActivationService, 'activate'>;
  texts: SmsReplyTexts & KeywordReplies;
  interceptors?: SmsInterceptor[];
  statusListeners?: StatusListener[];
  optOutListeners?: OptOutListener[];
  tracking?: TrackingCallHandler | null;
  logger?: Pick<Logger, 'warn' | 'error'>;
};

export const createTelephonyServices = (deps: TelephonyServicesDeps) => {
  const { db, config } = deps;
  const interceptors = deps.interceptors ?? [];
  const statusListeners = deps.statusListeners ?? [];
  const optOutListeners = deps.optOutListeners ?? [];
  const lockout = createLockout({
    redis: deps.redis,
    prefix: config.REDIS_PREFIX,
    settings: {
      maxMisses: config.LOCKOUT_MAX_MISSES,
      lineMaxMisses: config.LOCKOUT_LINE_MAX_MISSES,
      windowSeconds: config.LOCKOUT_WINDOW_SECONDS,
      lockSeconds: config.LOCKOUT_SECONDS,
    },
  });
  const keywords = createKeywordInterceptor({ db, optOuts: smsOptOutsRepo, replies: deps.texts, optOutListeners: () => optOutListeners });
  return {
    lockout,
    interceptors,
    statusListeners,
    optOutListeners,
    calls: createInboundCallService({
      db, lines: gatewayLinesRepo, codes: codesRepo, conversations: conversationRepo, calls: inboundCallsRepo, activations: deps.activations, lockout, tracking: deps.tracking ?? null, logger: deps.logger,
    }),
    sms: createInboundSmsService({ db, activations: deps.activations, lockout, interceptors: () => [keywords, ...interceptors], texts: deps.texts }),
    statuses: createStatusService({ db, listeners: statusListeners }),
  };
};

export type TelephonyServices = ReturnType<typeof createTelephonyServices>;
