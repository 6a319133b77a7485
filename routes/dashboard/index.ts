import type { Redis } from 'ioredis';
import type { AccountsService } from '../../src/accounts/accounts-service.js';
import type { Config } from '../../src/config.js';
import type { LoginLockout } from '../../src/users/login-lockout.js';
import type { SessionsService } from '../../src/users/sessions-service.js';
import type { RouteModule } from '../app.js';
import type { Authenticator } from '../auth.js';
import { authRoutes } from './auth-routes.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { softphoneAudioRoutes } from './softphone-audio.js';
import { cookieSettings, sessionAuthenticator } from './session-auth.js';

type DashboardConfig = Pick<Config, 'PUBLIC_URL' | 'SECURE_COOKIES' | 'SESSION_TTL_HOURS' | 'REDIS_PREFIX' | 'LOGIN_RATE_LIMIT'>;

const cookieFor = (config: DashboardConfig) => cookieSettings(config.PUBLIC_URL, config.SECURE_COOKIES, Math.round(config.SESSION_TTL_HOURS * 3600));

/** The session-cookie authenticator for `/v1` (after the API-key one). */
export const dashboardAuthenticator = (config: DashboardConfig, sessions: Pick<SessionsService, 'resolve' | 'checkCsrf'>): Authenticator =>
  sessionAuthenticator({ sessions, cookie: cookieFor(config), publicUrl: config.PUBLIC_URL });

/** Top-level modules: `/auth/*` (sign-in), the softphone's recordings and the single-page app at `/`. */
export const dashboardModules = (
  config: DashboardConfig,
  s: { logins: LoginLockout; sessions: SessionsService; accounts: AccountsService },
  redis: Redis,
): RouteModule[] => [
  {
    plugin: authRoutes,
    opts: {
      logins: s.logins, sessions: s.sessions, accounts: s.accounts, cookie: cookieFor(config), redis,
      redisPrefix: config.REDIS_PREFIX, loginRateLimit: config.LOGIN_RATE_LIMIT,
    },
  },
  { plugin: softphoneAudioRoutes },
  { plugin: dashboardRoutes },
];
