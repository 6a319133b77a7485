import { sha256Hex } from '../crypto.js';
import type { CarrierCredentials } from './carrier-credentials.js';

/**
 * Simulator lines have no carrier account, yet their webhooks are signed like Twilio's so the
 * same signature check guards them. The "account" is a fixed, never-issued Twilio SID and the
 * signing token is derived from SECRET_KEY: only this install (and `switchboard simulate`,
 * which reads the same config) can sign simulator webhooks. Rotating SECRET_KEY rotates it.
 */
export const SIMULATOR_ACCOUNT_SID = `AC${'0'.repeat(32)}`;

export const simulatorAuthToken = (secretKey: string): string => sha256Hex(`switchboard:simulator-token:${secretKey}`).slice(0, 32);

export const simulatorCredentials = (secretKey: string): CarrierCredentials => ({
  accountSid: SIMULATOR_ACCOUNT_SID,
  authToken: simulatorAuthToken(secretKey),
});
