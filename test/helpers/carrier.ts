/**
 * A Switchboard runtime listening on a real port, with the carrier emulator as its Twilio
 * (TWILIO_API_URL) and the emulator pointed back at it, for end-to-end tests through the
 * official SDK over HTTP. Lines created with `addTwilioLine(t, accountId, creds)` use the
 * emulator's carrier account.
 */
import { randomBytes } from 'node:crypto';
import { startCarrierEmulator, type CarrierEmulator } from '../../dev/carrier/emulator.js';
import type { Config } from '../../src/config.js';
import type { Roles } from '../../src/main.js';
import { startTestRuntime, type TestRuntime } from './runtime.js';

export type RuntimeWithCarrier = {
  t: TestRuntime;
  carrier: CarrierEmulator;
  /** The emulated carrier account: give it to lines (`addTwilioLine(t, id, creds)`). */
  creds: { accountSid: string; authToken: string };
  address: string;
  close(): Promise<void>;
};

export const startRuntimeWithCarrier = async (
  overrides: Partial<Record<keyof Config, string>> = {},
  roles: Roles = { web: true, worker: false },
): Promise<RuntimeWithCarrier> => {
  const creds = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
  const publicUrl = overrides.PUBLIC_URL ?? 'http://switchboard.test';
  const carrier = await startCarrierEmulator({ ...creds, gatewayUrl: 'http://127.0.0.1:9', publicUrl, callbackDelayMs: 5 });
  const t = await startTestRuntime({ TWILIO_API_URL: carrier.url, PUBLIC_URL: publicUrl, ...overrides }, roles);
  const address = await t.rt.listen();
  carrier.setGateway(address, t.config.PUBLIC_URL);
  return {
    t, carrier, creds, address,
    async close() {
      await carrier.close();
      await t.close();
    },
  };
};
