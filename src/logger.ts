import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Masks a phone number to its country code and last two digits: +1*******67. */
export const maskPhone = (phone: string | null | undefined): string => {
  if (!phone) return '';
  const s = String(phone);
  if (s.length <= 4) return '****';
  return s.slice(0, 2) + '*'.repeat(Math.max(0, s.length - 4)) + s.slice(-2);
};

/** Fields that must never reach a log line, wherever they appear. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-twilio-signature"]',
  'headers.authorization',
  '*.authToken',
  '*.auth_token',
  '*.password',
  '*.apiKey',
  '*.secret',
  '*.authorization',
  'authToken',
  'password',
  'apiKey',
];

export const loggerOptions = (level: string): LoggerOptions => ({
  level,
  redact: { paths: redactPaths, censor: '[redacted]' },
  base: { pid: process.pid },
});

export const createLogger = (level: string): Logger => pino(loggerOptions(level));
