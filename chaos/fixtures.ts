/**
 * What every scenario sets up through the public API of the running cluster (black box): an
 * account (CLI `accounts create`), the emulator's carrier account, a line, contacts imported
 * from CSV into a group, and workflows.
 */
import { cli, expectOk, type Api, type ClusterOptions } from './cluster.js';

export type ScenarioResult = {
  scenario: string;
  title: string;
  command: string;
  lost: number;
  duplicated: number;
  errors: number;
  seconds: number;
  details: Record<string, unknown>;
  notes: string[];
};

/** Creates an account with the CLI; returns its API key. */
export const createAccount = (o: Pick<ClusterOptions, 'root' | 'databaseUrl' | 'redisUrl' | 'twilioApiUrl'>, name: string): string => {
  const out = cli(o, ['accounts', 'create', '--name', name]);
  const key = /API key \(shown once\): (\S+)/.exec(out)?.[1];
  if (!key) throw new Error(`no API key in: ${out}`);
  return key;
};

export const phoneOf = (base: number, i: number) => `+1415${String(base + i).padStart(7, '0')}`;

/** A Twilio line on the emulator's carrier account; returns its id and number. */
export const addLine = async (api: Api, carrier: { accountSid: string; authToken: string }, phoneNumber: string, settings: object = {}) => {
  const conn = await api('GET', '/v1/carrier-connections');
  const existing = (conn.body.data ?? conn.body)?.find?.((c: { accountSid: string }) => c.accountSid === carrier.accountSid);
  const connId = existing?.id ?? expectOk('carrier connection', await api('POST', '/v1/carrier-connections', { accountSid: carrier.accountSid, authToken: carrier.authToken })).body.id;
  const line = expectOk('line', await api('POST', '/v1/lines', { phoneNumber, provider: 'twilio', carrierConnectionId: connId, settings })).body;
  return { id: line.id as string, phone: phoneNumber };
};

/** A group of `n` contacts imported from CSV (phones `phoneOf(base, i)`). */
export const addCrowd = async (api: Api, name: string, n: number, base: number): Promise<string> => {
  const group = expectOk('group', await api('POST', '/v1/groups', { name })).body.id as string;
  for (let start = 0; start < n; start += 10_000) {
    const rows = Array.from({ length: Math.min(10_000, n - start) }, (_, k) => `Person ${start + k},${phoneOf(base, start + k)},${name}`);
    const res = expectOk('import', await api('POST', '/v1/contacts/import', `name,phone,groups\n${rows.join('\n')}\n`, 'text/csv'));
    if (res.body.errors?.length) throw new Error(`import errors: ${JSON.stringify(res.body.errors.slice(0, 3))}`);
  }
  return group;
};

/** An SMS notification workflow to one group, optionally keyed by `code` on `lineId`. */
export const addSmsWorkflow = async (api: Api, opts: { name: string; groupId: string; message: string; lineId?: string; code?: string }) =>
  expectOk('workflow', await api('POST', '/v1/workflows', {
    name: opts.name,
    ...(opts.code ? { codeActivation: { lineId: opts.lineId, code: opts.code } } : {}),
    actions: [{ type: 'notification', groupIds: [opts.groupId], message: opts.message, channels: ['sms'] }],
  })).body.id as string;

/** lost / duplicated against the expected count per number, from the emulator's per-number counts. */
export const tally = (expected: Map<string, number>, got: Record<string, number>) => {
  let lost = 0;
  let duplicated = 0;
  let unexpected = 0;
  for (const [n, want] of expected) {
    const have = got[n] ?? 0;
    if (have < want) lost += want - have;
    if (have > want) duplicated += have - want;
  }
  for (const [n, have] of Object.entries(got)) if (!expected.has(n)) unexpected += have;
  return { lost, duplicated, unexpected };
};
