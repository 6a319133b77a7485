/**
 * Telephony test fixtures: lines (simulator or twilio with a stored carrier connection),
 * contacts in a group, code-activated workflows — written with plain SQL against the core
 * schema — and a signer that posts webhooks the way Twilio does.
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import type supertest from 'supertest';
import { createSecretBox } from '../../src/crypto.js';
import { SIMULATOR_ACCOUNT_SID, simulatorAuthToken } from '../../src/carriers/simulator-credentials.js';
import { toKeypadDigits } from '../../src/workflows/keypad.js';
import type { TestRuntime } from './runtime.js';

export type LineFixture = { id: string; phone: string; accountSid: string; authToken: string };

export const addTwilioLine = async (t: TestRuntime, accountId: string, opts: { accountSid?: string; authToken?: string; phone?: string; settings?: object; mode?: string; greeting?: string } = {}): Promise<LineFixture> => {
  const accountSid = opts.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = opts.authToken ?? randomBytes(16).toString('hex');
  const box = createSecretBox(t.config.SECRET_KEY);
  const db = t.rt.infra.db;
  const conn = await db.query(
    `INSERT INTO carrier_connections (account_id, provider, account_sid, auth_token_enc) VALUES ($1, 'twilio', $2, $3)
     ON CONFLICT (account_id, account_sid) DO UPDATE SET auth_token_enc = EXCLUDED.auth_token_enc RETURNING id`,
    [accountId, accountSid, box.seal(authToken)],
  );
  const phone = opts.phone ?? uniqueNumber();
  const line = await db.query(
    `INSERT INTO lines (account_id, phone_number, name, provider, carrier_connection_id, mode, greeting, settings)
     VALUES ($1, $2, 'Ops line', 'twilio', $3, $4, COALESCE($5, 'Welcome to Acme Rescue. Please enter your four character code.'), $6) RETURNING id`,
    [accountId, phone, conn.rows[0].id, opts.mode ?? 'activation', opts.greeting ?? null, JSON.stringify(opts.settings ?? {})],
  );
  return { id: line.rows[0].id, phone, accountSid, authToken };
};

export const addSimulatorLine = async (t: TestRuntime, accountId: string, opts: { phone?: string; settings?: object } = {}): Promise<LineFixture> => {
  const phone = opts.phone ?? uniqueNumber();
  const line = await t.rt.infra.db.query(
    `INSERT INTO lines (account_id, phone_number, name, provider, settings) VALUES ($1, $2, 'Demo line', 'simulator', $3) RETURNING id`,
    [accountId, phone, JSON.stringify(opts.settings ?? {})],
  );
  return { id: line.rows[0].id, phone, accountSid: SIMULATOR_ACCOUNT_SID, authToken: simulatorAuthToken(t.config.SECRET_KEY) };
};

let numberSeq = 0;
/**
 * Valid Chicago (+1 312) numbers, unique within a test process. The exchange (the 3 digits after
 * the area code) must be 200–999 for libphonenumber to accept the number: before, a process id
 * that made it start with 0 or 1 produced invalid numbers and failed tests depending on the pid.
 */
export const uniqueNumber = (): string => {
  numberSeq += 1;
  const n = 2_000_000 + ((process.pid * 1000 + numberSeq) % 8_000_000);
  return `+1312${n}`;
};

export const addContacts = async (t: TestRuntime, accountId: string, people: Array<{ name: string; phone?: string | null; doNotContact?: boolean }>) => {
  const ids: string[] = [];
  for (const p of people) {
    const r = await t.rt.infra.db.query(
      'INSERT INTO contacts (account_id, name, phone, do_not_contact) VALUES ($1, $2, $3, $4) RETURNING id',
      [accountId, p.name, p.phone ?? null, p.doNotContact ?? false],
    );
    ids.push(r.rows[0].id);
  }
  return ids;
};

export const addGroup = async (t: TestRuntime, accountId: string, name: string, contactIds: string[]): Promise<string> => {
  const db = t.rt.infra.db;
  const g = await db.query('INSERT INTO groups (account_id, name) VALUES ($1, $2) RETURNING id', [accountId, name]);
  for (const c of contactIds) await db.query('INSERT INTO group_members (group_id, contact_id, account_id) VALUES ($1, $2, $3)', [g.rows[0].id, c, accountId]);
  return g.rows[0].id;
};

export type WorkflowFixture = { id: string; versionId: string };

/** A workflow with a code (restricted to `lineId` when given) and one SMS notification to `groupIds`. */
export const addCodeWorkflow = async (
  t: TestRuntime, accountId: string,
  opts: { name: string; code: string; lineId?: string | null; groupIds: string[]; askVoiceMessage?: boolean; maxRecordingSeconds?: number; status?: 'active' | 'paused' },
): Promise<WorkflowFixture> => {
  const db = t.rt.infra.db;
  const w = await db.query(
    `INSERT INTO workflows (account_id, name, status, code, code_digits, code_line_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [accountId, opts.name, opts.status ?? 'active', opts.code, toKeypadDigits(opts.code), opts.lineId ?? null],
  );
  const definition = {
    name: opts.name,
    description: '',
    codeActivation: opts.lineId === undefined ? null : {
      lineId: opts.lineId, code: opts.code, askVoiceMessage: opts.askVoiceMessage ?? false, maxRecordingSeconds: opts.maxRecordingSeconds ?? 60,
    },
    actions: [{ id: 'notify', type: 'notification', groupIds: opts.groupIds, includeOffDuty: false, message: `${opts.name}: {{inbound_message}}`, channels: ['sms'] }],
  };
  const v = await db.query(
    'INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, 1, $3) RETURNING id',
    [w.rows[0].id, accountId, JSON.stringify(definition)],
  );
  return { id: w.rows[0].id, versionId: v.rows[0].id };
};

/** Posts a form webhook signed like Twilio (or not, or wrongly) through supertest. */
export const signedPost = (
  agent: supertest.Agent, publicUrl: string, path: string, params: Record<string, string>,
  opts: { authToken?: string; signature?: string | null; headers?: Record<string, string> } = {},
) => {
  const url = publicUrl + path;
  const req = agent.post(path).type('form').send(params);
  const sig = opts.signature === undefined ? twilio.getExpectedTwilioSignature(opts.authToken ?? '', url, params) : opts.signature;
  if (sig !== null) req.set('x-twilio-signature', sig);
  for (const [k, v] of Object.entries(opts.headers ?? {})) req.set(k, v);
  return req;
};

export const callSid = (n: number): string => `CA${n.toString(16).padStart(32, '0')}`;
export const messageSid = (n: number): string => `SM${n.toString(16).padStart(32, '0')}`;
