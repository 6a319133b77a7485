/**
 * `activate()` writes the activation and its outbox row (the relay and the sweeper find every
 * activation by that row) in one statement, one round trip on the way from a code keyed to its
 * first text; a repeat of the idempotency key writes neither again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/db.js';
import { activationsRepo } from '../../src/engine/activations-repo.js';
import { addGroupOf, addPeople, addWorkflow } from '../helpers/engine-fixtures.js';
import { uniqueNumber } from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('activate() writes the activation with its outbox row', () => {
  let t: TestRuntime;
  let accountId: string;
  let workflowId: string;

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: false, worker: false });
    accountId = (await createTestAccount(t)).account.id;
    const group = await addGroupOf(t, accountId, 'Crew', await addPeople(t, accountId, [{ name: 'Ana', phone: uniqueNumber() }]));
    workflowId = await addWorkflow(t, accountId, {
      name: 'Storm', actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: false, message: 'Storm', channels: ['sms'] }],
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('in one statement, once per idempotency key', async () => {
    const activate = () => t.rt.services.activations.activate({ accountId, workflowId, source: 'api', idempotencyKey: 'outbox:1', placeholders: {} });
    const first = await activate();
    const again = await activate();
    expect([first.created, again.created]).toEqual([true, false]);
    expect(again.activation.id).toBe(first.activation.id);
    const rows = await t.rt.infra.db.query(
      `SELECT o.topic, o.completed_at FROM activations a JOIN outbox o ON o.ref_id = a.id::text WHERE a.account_id = $1`, [accountId]);
    expect(rows.rows).toEqual([{ topic: 'activation', completed_at: null }]);
  });

  it('the repository writes both rows with one statement, and nothing on a repeated key', async () => {
    const db = t.rt.infra.db;
    let statements = 0;
    // The pool, counting the statements sent through it.
    const counted: Queryable = new Proxy(db, {
      get: (target, prop, receiver) => (prop === 'query'
        ? (...args: unknown[]) => { statements++; return (target.query as (...a: unknown[]) => unknown).apply(target, args); }
        : Reflect.get(target, prop, receiver)),
    });
    const v = (await db.query('SELECT id, version FROM workflow_versions WHERE workflow_id = $1', [workflowId])).rows[0];
    const row = {
      accountId, workflowId, workflowVersionId: v.id, workflowVersion: v.version, source: 'api' as const, idempotencyKey: 'outbox:repo',
      requestHash: null, placeholders: {}, inboundMessage: null, recordingUrl: null, context: {},
    };
    const made = await activationsRepo.insertActivation(counted, row);
    expect(statements).toBe(1);
    expect(await activationsRepo.insertActivation(counted, row)).toBeNull();
    const outbox = await db.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'activation' AND ref_id = $1`, [made!.activation.id]);
    expect(outbox.rows[0].n).toBe(1);
  });
});
