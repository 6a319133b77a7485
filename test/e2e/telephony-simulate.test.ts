import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerSimulate } from '../../src/cli-simulate.js';
import { addCodeWorkflow, addContacts, addGroup, addSimulatorLine, type LineFixture } from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('switchboard simulate call|sms against a running gateway (simulator line, SECRET_KEY-derived signing)', () => {
  let t: TestRuntime;
  let address: string;
  let line: LineFixture;

  const run = async (...args: string[]) => {
    const program = new Command('switchboard').exitOverride();
    registerSimulate(program, () => t.config);
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true; });
    try {
      await program.parseAsync(['node', 'switchboard', 'simulate', ...args, '--url', address]);
    } finally {
      spy.mockRestore();
    }
    return out.join('');
  };

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    address = await t.rt.listen();
    const accountId = (await createTestAccount(t)).account.id;
    line = await addSimulatorLine(t, accountId);
    const g = await addGroup(t, accountId, 'Responders', await addContacts(t, accountId, [{ name: 'Ana', phone: '+13125550201' }]));
    await addCodeWorkflow(t, accountId, { name: 'Gate Emergency', code: 'RESQ', lineId: line.id, groupIds: [g], askVoiceMessage: true });
  });
  afterAll(async () => t?.close());

  it('prints the call: greeting, keys, beep, activation, hang-up', async () => {
    const out = await run('call', '--line', line.phone, '--from', '+13125550101', '--keys', '7377', '--say-voicemail');
    expect(out).toMatch(/^call CA[0-9a-f]{32}: \+13125550101 -> \+1312\d{7}\n/);
    expect(out).toContain('  gateway: "Welcome to Switchboard. Please enter your four character code."\n  caller presses: 7377\n');
    expect(out).toContain('  (beep) caller leaves a voice message (max 60 s)\n  gateway: "Gate Emergency has been activated. Reaching 1 person. Goodbye."\n  (gateway hangs up)\ncall ended: hangup\n');
    const a = (await t.rt.infra.db.query(`SELECT recording_url FROM activations WHERE source = 'ivr'`)).rows;
    expect(a).toEqual([{ recording_url: expect.stringMatching(/^http:\/\/switchboard\.test\/simulated-recordings\/CA[0-9a-f]{32}\.mp3$/) }]);
  });

  it('prints the text and the reply', async () => {
    const out = await run('sms', '--line', line.phone, '--from', '+13125550101', '--body', 'RESQ help at gate 4');
    expect(out).toBe(`+13125550101 -> ${line.phone}: RESQ help at gate 4\n${line.phone} -> +13125550101: Gate Emergency activated. Reaching 1 person.\n`);
  });
});
