import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNoopPushProvider } from '../../adapters/push/noop-push-provider.js';
import { createPushSender } from '../../adapters/push/push-sender.js';
import { createSimulatorPushProvider } from '../../adapters/push/simulator-push-provider.js';
import { simulatedPushesRepo } from '../../adapters/push/simulated-pushes-repo.js';
import type { DeliveryJob } from '../../src/engine/channel-port.js';
import { ProviderError } from '../../src/errors.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const job = (accountId: string, contactId: string | null, address: string | null, deliveryId = randomUUID()): DeliveryJob => ({
  deliveryId, accountId, activationId: randomUUID(), actionId: 'n1', channel: 'push', contactId, address, attempt: 1,
  payload: { title: 'Flood warning', body: 'River at 5.2 m: move to higher ground', contactId },
});

describe('push channel: none (default) and simulator providers', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({ PUSH_PROVIDER: 'simulator' }, { web: false, worker: false });
  });
  afterAll(async () => t?.close());

  it('the simulator pushes to contacts with a token, stores each push once per delivery', async () => {
    const { account } = await createTestAccount(t);
    const c = await t.rt.infra.db.query(`INSERT INTO contacts (account_id, name, push_token) VALUES ($1, 'Dee', 'tok-dee-1') RETURNING id`, [account.id]);
    const contactId = c.rows[0].id as string;
    const provider = t.rt.services.channels.push;
    expect(provider.name).toBe('simulator');
    expect(t.rt.services.channels.extras.push).toBe(provider);
    expect(provider.canPush({ id: contactId, pushToken: 'tok-dee-1', customFields: {} })).toBe(true);
    expect(provider.canPush({ id: contactId, pushToken: null, customFields: {} })).toBe(false);
    expect(provider.canPush({ id: contactId, pushToken: '  ', customFields: {} })).toBe(false);

    const sender = createPushSender(provider);
    const j = job(account.id, contactId, 'tok-dee-1');
    const first = await sender.send(j);
    expect(first).toMatchObject({ status: 'sent', provider: 'push:simulator', providerId: expect.stringMatching(/^simpush_\d+$/) });
    const again = await sender.send(j);
    expect(again.providerId).toBe(first.providerId);

    const pushes = await createSimulatorPushProvider(t.rt.infra.db, simulatedPushesRepo).list(account.id);
    expect(pushes).toMatchObject([{ contactId, deliveryId: j.deliveryId, token: 'tok-dee-1', title: 'Flood warning', body: 'River at 5.2 m: move to higher ground' }]);
  });

  it('fails permanently without a token', async () => {
    const sender = createPushSender(t.rt.services.channels.push);
    await expect(sender.send(job(randomUUID(), null, null))).rejects.toMatchObject({ retryable: false, providerCode: 'no_push_token' });
  });

  it('the default provider never pushes (the planner sends SMS instead) and refuses to pretend', async () => {
    const none = createNoopPushProvider();
    expect(none.canPush({ id: 'c', pushToken: 'tok', customFields: {} })).toBe(false);
    const err = await createPushSender(none).send(job(randomUUID(), null, 'tok')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ retryable: false, providerCode: 'push_not_configured' });
  });
});
