/**
 * What a small activation costs in statements, and what they store. `activate()` reads the key's
 * activation and the workflow in one statement and writes the activation and its outbox row (the
 * relay and the sweeper find every activation by that row) in a second, with no transaction; a
 * repeat of the idempotency key writes neither again, and a workflow edited, paused or activated
 * under the same key between the two is seen, not overwritten. A small plan's rows and
 * its running status are written by one statement (deliveries-repo
 * `insertPlannedRunning`); when some rows already exist (an earlier run was interrupted between
 * its rows and its status), the status follows with the recipients counted from the table. What
 * is stored either way: the activation running with the people actually reached counted (a
 * person whose every delivery is skipped is not), `planned_at` set, each row and history row once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivationService } from '../../src/engine/activation-service.js';
import { activationsRepo } from '../../src/engine/activations-repo.js';
import { deliveriesRepo } from '../../src/engine/deliveries-repo.js';
import { engineRepo } from '../../src/engine/engine-repo.js';
import { planQueued } from '../helpers/plan-ready.js';
import { addGroupOf, addPeople, addWorkflow } from '../helpers/engine-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { uniqueNumber } from '../helpers/carrier-fixtures.js';

describe('a small activation: stored with its outbox row, then set running by the statement that writes its rows', () => {
  let t: TestRuntime;
  let accountId: string;
  let workflowId: string;

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: false, worker: false });
    accountId = (await createTestAccount(t)).account.id;
    // Two people with a phone, one without (skipped: no_phone), texted and e-mailed.
    const people = await addPeople(t, accountId, [
      { name: 'Ana', phone: uniqueNumber(), email: 'ana@example.test' },
      { name: 'Ben', phone: uniqueNumber() },
      { name: 'Cy', email: 'cy@example.test' },
    ]);
    const group = await addGroupOf(t, accountId, 'Crew', people);
    workflowId = await addWorkflow(t, accountId, {
      name: 'Storm', actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: false, message: 'Storm', channels: ['sms', 'email'] }],
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const activate = async (key: string) => (await t.rt.services.activations.activate({
    accountId, workflowId, source: 'api', idempotencyKey: key, placeholders: {},
  })).activation.id;
  const stored = async (id: string) => (await t.rt.infra.db.query(
    `SELECT a.status, a.recipient_count, a.planned_at IS NOT NULL AS planned,
            (SELECT count(*)::int FROM deliveries d WHERE d.activation_id = a.id) AS rows,
            (SELECT count(*)::int FROM deliveries d WHERE d.activation_id = a.id AND d.status = 'skipped') AS skipped,
            (SELECT count(*)::int FROM messages m WHERE m.activation_id = a.id) AS history,
            -- Written by the same transaction as some of its rows (one statement: the same xmin).
            EXISTS (SELECT 1 FROM deliveries d WHERE d.activation_id = a.id AND d.xmin = a.xmin) AS with_rows
       FROM activations a WHERE a.id = $1`, [id])).rows[0];

  /** The pool, counting the statements sent through it. */
  const counting = () => {
    const db = t.rt.infra.db;
    const seen: string[] = [];
    const pool = new Proxy(db, {
      get: (target, prop, receiver) => (prop === 'query'
        ? (...args: unknown[]) => {
          seen.push(typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text));
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        }
        : Reflect.get(target, prop, receiver)),
    }) as typeof db;
    return { pool, seen };
  };
  const outboxRows = async (id: string) => (await t.rt.infra.db.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'activation' AND ref_id = $1`, [id])).rows[0].n;

  it('writes the rows and sets the activation running, counting only the people reached', async () => {
    const id = await activate('running:fresh');
    await planQueued(t.rt);
    // The account has no line, so every text is skipped (no_sending_line); Ben has no e-mail and Cy
    // no phone: Ana and Cy are reached (by e-mail), Ben is not counted.
    expect(await stored(id)).toEqual({ status: 'running', recipient_count: 2, planned: true, rows: 6, skipped: 4, history: 2, with_rows: true });
  });

  it('an interrupted earlier run (rows written, status not): the next run sets it running and writes nothing twice', async () => {
    const id = await activate('running:interrupted');
    const input = (await engineRepo.loadPlanInput(t.rt.infra.db, id))!;
    expect(input.lines).toEqual([]); // the account has no line: the texts are skipped as no_sending_line
    // The earlier run: Ana's e-mail only.
    const ana = (await t.rt.infra.db.query(`SELECT id, email FROM contacts WHERE account_id = $1 AND name = 'Ana'`, [accountId])).rows[0];
    await deliveriesRepo.insertPlanned(t.rt.infra.db, accountId, id, [{
      actionId: 'n', recipientKey: ana.id, contactId: ana.id, channel: 'email', address: ana.email, status: 'pending', skipReason: null,
      payload: { subject: 'Storm', text: 'Storm' }, meta: {},
    }]);
    expect((await stored(id)).status).toBe('queued');
    await planQueued(t.rt);
    expect(await stored(id)).toEqual({ status: 'running', recipient_count: 2, planned: true, rows: 6, skipped: 4, history: 2, with_rows: false });
  });

  it('activate() writes the activation and its outbox row in one statement, once per idempotency key', async () => {
    const activate = () => t.rt.services.activations.activate({ accountId, workflowId, source: 'api', idempotencyKey: 'outbox:1', placeholders: {} });
    const first = await activate();
    const again = await activate();
    expect([first.created, again.created]).toEqual([true, false]);
    expect(again.activation.id).toBe(first.activation.id);
    const rows = await t.rt.infra.db.query(
      `SELECT o.topic, o.completed_at FROM activations a JOIN outbox o ON o.ref_id = a.id::text WHERE a.id = $1`, [first.activation.id]);
    expect(rows.rows).toEqual([{ topic: 'activation', completed_at: null }]);
  });

  it('the repository writes both rows with one statement, and nothing on a repeated key', async () => {
    const db = t.rt.infra.db;
    const { pool: counted, seen } = counting();
    const v = (await db.query('SELECT id, version FROM workflow_versions WHERE workflow_id = $1', [workflowId])).rows[0];
    const row = {
      accountId, workflowId, workflowVersionId: v.id, workflowVersion: v.version, source: 'api' as const, idempotencyKey: 'outbox:repo',
      requestHash: null, placeholders: {}, inboundMessage: null, recordingUrl: null, context: {},
    };
    const made = await activationsRepo.insertActivationIfCurrent(counted, row, 'active');
    expect(seen).toHaveLength(1);
    expect(await activationsRepo.insertActivationIfCurrent(counted, row, 'active')).toBeNull();
    expect(await outboxRows(made!.activation.id)).toBe(1);
  });


  it('activate() (a keyed code, a trigger): two statements and no transaction; a repeated key one, writing nothing', async () => {
    const { pool, seen } = counting();
    const service = createActivationService({ db: pool, activations: activationsRepo });
    const input = { accountId, workflowId, source: 'ivr' as const, idempotencyKey: 'twilio:CA-two-statements', placeholders: {} };
    const first = await service.activate(input);
    expect(first.created).toBe(true);
    expect(seen).toHaveLength(2);
    expect(seen.some((q) => /^\s*(BEGIN|COMMIT)/i.test(q))).toBe(false);
    const again = await service.activate(input);
    expect([again.created, again.activation.id]).toEqual([false, first.activation.id]);
    expect(seen).toHaveLength(3);
    expect(await outboxRows(first.activation.id)).toBe(1);
    const a = (await t.rt.infra.db.query('SELECT status, workflow_version, source FROM activations WHERE id = $1', [first.activation.id])).rows[0];
    const current = (await t.rt.infra.db.query('SELECT current_version FROM workflows WHERE id = $1', [workflowId])).rows[0].current_version;
    expect(a).toEqual({ status: 'queued', workflow_version: current, source: 'ivr' });
  });

  /** An activation service whose first write runs `meanwhile` just before it (an edit committed between its read and its write). */
  const racing = (meanwhile: () => Promise<unknown>) => {
    let once = true;
    return createActivationService({
      db: t.rt.infra.db,
      activations: {
        ...activationsRepo,
        insertActivationIfCurrent: async (...args: Parameters<typeof activationsRepo.insertActivationIfCurrent>) => {
          if (once) { once = false; await meanwhile(); }
          return activationsRepo.insertActivationIfCurrent(...args);
        },
      },
    });
  };

  it('a workflow edited between the read and the write: the activation pins the version current when it was written', async () => {
    const db = t.rt.infra.db;
    const before = (await db.query('SELECT current_version FROM workflows WHERE id = $1', [workflowId])).rows[0].current_version as number;
    const service = racing(async () => {
      await db.query(`INSERT INTO workflow_versions (workflow_id, account_id, version, definition)
                      SELECT workflow_id, account_id, version + 1, definition FROM workflow_versions WHERE workflow_id = $1 AND version = $2`, [workflowId, before]);
      await db.query('UPDATE workflows SET current_version = $2 WHERE id = $1', [workflowId, before + 1]);
    });
    const { activation, created } = await service.activate({ accountId, workflowId, source: 'api', idempotencyKey: 'race:edited', placeholders: {} });
    expect(created).toBe(true);
    const a = (await db.query('SELECT workflow_version, v.version AS pinned FROM activations a JOIN workflow_versions v ON v.id = a.workflow_version_id WHERE a.id = $1', [activation.id])).rows[0];
    expect(a).toEqual({ workflow_version: before + 1, pinned: before + 1 });
    expect(await outboxRows(activation.id)).toBe(1);
  });

  it('a workflow paused between the read and the write: 409 workflow_paused, nothing written', async () => {
    const db = t.rt.infra.db;
    const service = racing(() => db.query(`UPDATE workflows SET status = 'paused' WHERE id = $1`, [workflowId]));
    try {
      await expect(service.activate({ accountId, workflowId, source: 'api', idempotencyKey: 'race:paused', placeholders: {} }))
        .rejects.toMatchObject({ code: 'workflow_paused' });
      expect((await db.query(`SELECT count(*)::int AS n FROM activations WHERE account_id = $1 AND idempotency_key = 'race:paused'`, [accountId])).rows[0].n).toBe(0);
    } finally {
      await db.query(`UPDATE workflows SET status = 'active' WHERE id = $1`, [workflowId]);
    }
  });

  it('the same key stored by another process between the read and the write: that activation, nothing written twice', async () => {
    const db = t.rt.infra.db;
    let other = '';
    const service = racing(async () => {
      other = (await t.rt.services.activations.activate({ accountId, workflowId, source: 'ivr', idempotencyKey: 'race:same-key', placeholders: {} })).activation.id;
    });
    const { activation, created } = await service.activate({ accountId, workflowId, source: 'ivr', idempotencyKey: 'race:same-key', placeholders: {} });
    expect([created, activation.id]).toEqual([false, other]);
    expect((await db.query(`SELECT count(*)::int AS n FROM activations WHERE account_id = $1 AND idempotency_key = 'race:same-key'`, [accountId])).rows[0].n).toBe(1);
    expect(await outboxRows(other)).toBe(1);
  });

  it('an API request whose Idempotency-Key another request still holds: 409 idempotency_key_in_use, nothing written; then it goes through once', async () => {
    const input = { accountId, workflowId, source: 'api' as const, idempotencyKey: 'api:held', placeholders: {}, onConcurrent: 'conflict' as const };
    const other = await t.rt.infra.db.connect();
    try {
      // The other request's transaction, holding the key's lock.
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [accountId, 'api:held']);
      await expect(t.rt.services.activations.activate(input)).rejects.toMatchObject({ code: 'idempotency_key_in_use' });
      expect((await t.rt.infra.db.query(`SELECT count(*)::int AS n FROM activations WHERE account_id = $1 AND idempotency_key = 'api:held'`, [accountId])).rows[0].n).toBe(0);
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
    const first = await t.rt.services.activations.activate(input);
    const again = await t.rt.services.activations.activate(input);
    expect([first.created, again.created, again.activation.id]).toEqual([true, false, first.activation.id]);
    expect(await outboxRows(first.activation.id)).toBe(1);
  });
});
