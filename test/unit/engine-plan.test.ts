import { describe, expect, it } from 'vitest';
import { noExtras, planConference, planNotification, planPager, planWebhook, type PlanContact, type PlanScope } from '../../src/engine/plan-rows.js';
import { laterBatches } from '../../src/engine/delivery-pacing.js';
import { fromCallStatus, fromMessageStatus, statusesBefore } from '../../src/engine/delivery-status.js';

const person = (id: string, p: Partial<PlanContact> = {}): PlanContact => ({
  id, name: id, phone: `+1555000${id.length}`, email: `${id}@x.test`, pagerNumber: null, pushToken: null, optedOutChannels: [], doNotContact: false, customFields: {}, ...p,
});
const scope: PlanScope = { activationId: 'act-1', workflowName: 'Gas leak', placeholders: { site: 'Depot "4"' }, inboundMessage: 'at gate 2', recordingUrl: null };
const line = { id: 'line-1', phoneNumber: '+15550009999' };
const notification = (p: Record<string, unknown>) => ({
  id: 'n1', type: 'notification' as const, groupIds: ['g'], includeOffDuty: false, message: 'Leak at [[site]]: {{inbound_message}}', channels: ['sms' as const], ...p,
});

describe('planning a notification', () => {
  it('renders placeholders, fields and contact custom fields per person', () => {
    const rows = planNotification(notification({ message: 'Hi {{contact_name}} ({{badge}}): [[site]] {{inbound_message}}' }) as never,
      [person('ann', { customFields: { badge: 7 } })], scope, noExtras, line, undefined);
    expect(rows).toEqual([expect.objectContaining({ channel: 'sms', status: 'pending', address: '+15550003', payload: { body: 'Hi ann (7): Depot "4" at gate 2', lineId: 'line-1', from: '+15550009999' } })]);
  });

  it('records every skip with its reason; do_not_contact wins over an opt-out', () => {
    const rows = planNotification(notification({ channels: ['sms', 'email', 'voice'] }) as never, [
      person('dnc', { doNotContact: true, optedOutChannels: ['sms'] }),
      person('out', { optedOutChannels: ['email', 'voice'] }),
      person('none', { phone: null, email: null }),
    ], scope, noExtras, line, undefined);
    expect(rows.map((r) => [r.recipientKey, r.channel, r.status, r.skipReason])).toEqual([
      ['dnc', 'sms', 'skipped', 'do_not_contact'], ['dnc', 'email', 'skipped', 'do_not_contact'], ['dnc', 'voice', 'skipped', 'do_not_contact'],
      ['out', 'sms', 'pending', null], ['out', 'email', 'skipped', 'opted_out_email'], ['out', 'voice', 'skipped', 'opted_out_voice'],
      ['none', 'sms', 'skipped', 'no_phone'], ['none', 'email', 'skipped', 'no_email'], ['none', 'voice', 'skipped', 'no_phone'],
    ]);
    expect(rows.filter((r) => r.status === 'skipped').every((r) => Object.keys(r.payload).length === 0)).toBe(true);
  });

  it('push falls back to SMS when no push is possible, and never doubles an SMS the action already sends', () => {
    const push = { canPush: (c: { pushToken: string | null }) => !!c.pushToken };
    const rows = planNotification(notification({ channels: ['push'] }) as never, [person('app', { pushToken: 'tok' }), person('old')], scope, noExtras, line, push);
    expect(rows.map((r) => [r.recipientKey, r.channel, r.meta])).toEqual([['app', 'push', {}], ['old', 'sms', { fallbackFrom: 'push' }]]);
    const both = planNotification(notification({ channels: ['push', 'sms'] }) as never, [person('old')], scope, noExtras, line, undefined);
    expect(both.map((r) => [r.channel, r.meta])).toEqual([['sms', {}]]);
  });

  it('appends prompt output and the attachment link; notes a failed prompt; adds the poll to texts', () => {
    const extras = { ...noExtras, promptOutput: 'Wind NW 40 km/h', attachmentUrl: 'https://sb.test/a/x1' };
    const poll = { question: 'Coming?', options: ['Yes', 'No'], durationMinutes: 10 };
    const [row] = planNotification(notification({ message: 'Alert', prompt: { text: 'p', appendToMessage: true }, poll }) as never, [person('a')], scope, extras, line, undefined);
    expect(row!.payload.body).toBe('Alert\n\nWind NW 40 km/h\nhttps://sb.test/a/x1\n\nComing?\n1) Yes\n2) No\nReply with the number of your answer.');
    const [failed] = planNotification(notification({}) as never, [person('a')], scope, { ...noExtras, promptError: 'prompt failed: timeout' }, line, undefined);
    expect(failed!.meta).toEqual({ promptError: 'prompt failed: timeout' });
  });

  it('without any sending line, telephony channels are skipped as no_sending_line', () => {
    const rows = planNotification(notification({ channels: ['sms', 'email'] }) as never, [person('a')], scope, noExtras, null, undefined);
    expect(rows.map((r) => [r.channel, r.skipReason])).toEqual([['sms', 'no_sending_line'], ['email', null]]);
  });
});

describe('planning other actions', () => {
  it('conference: one call per person from the chosen line, named per activation; retry rows get their own key', () => {
    const a = { id: 'c1', type: 'conference' as const, groupIds: ['g'], includeOffDuty: false, lineId: 'line-1', intro: 'Bridge [[site]]', retryWithOffDuty: true };
    const [r1] = planConference(a, [person('x')], scope, line);
    expect(r1).toMatchObject({ recipientKey: 'x', channel: 'conference', payload: { intro: 'Bridge Depot "4"', conferenceName: 'switchboard-act-1-c1', from: '+15550009999', round: 1 } });
    const [r2] = planConference(a, [person('x')], scope, line, 2);
    expect(r2).toMatchObject({ recipientKey: 'retry-x', meta: { round: 2 } });
  });

  it('pager: the pager number and digits; no pager number is a skip', () => {
    const a = { id: 'p1', type: 'pager' as const, groupIds: ['g'], includeOffDuty: false, message: '12w#' };
    expect(planPager(a, [person('a', { pagerNumber: '+1999' }), person('b')], line).map((r) => [r.address, r.status, r.skipReason, r.payload.digits])).toEqual([
      ['+1999', 'pending', null, '12w#'], [null, 'skipped', 'no_pager_number', undefined],
    ]);
  });

  it('webhook: JSON-escaped fields so no value can break the body; the sealed Authorization passes through', () => {
    const s = { ...scope, inboundMessage: 'quote " and \\ and\nnewline', placeholders: { site: '"}, "evil": {"' } };
    const r = planWebhook({ id: 'w1', type: 'webhook', method: 'POST', url: 'https://h.test/x', body: '{"m":"{{inbound_message}}","s":"[[site]]","p":"{{prompt_output}}","a":"{{activation_uuid}}"}', authorizationSealed: 'v1:sealed' },
      s, { ...noExtras, promptOutput: 'out "x"' });
    expect(JSON.parse(String(r.payload.body))).toEqual({ m: 'quote " and \\ and\nnewline', s: '"}, "evil": {"', p: 'out "x"', a: 'act-1' });
    expect(r.payload.authorizationSealed).toBe('v1:sealed');
    expect(r).toMatchObject({ recipientKey: 'webhook', channel: 'webhook', status: 'pending' });
  });
});

describe('delivery statuses', () => {
  it('only move forward; carrier statuses map onto them', () => {
    expect(statusesBefore('delivered')).toEqual(['pending', 'sending', 'queued', 'sent', 'answered']);
    expect(statusesBefore('queued')).toEqual(['pending', 'sending']);
    expect(statusesBefore('acknowledged')).toContain('answered');
    expect(fromMessageStatus('undelivered')).toBe('failed');
    expect(fromMessageStatus('weird')).toBeNull();
    expect(fromCallStatus('in-progress')).toBe('answered');
    expect(fromCallStatus('completed')).toBe('answered');
    expect(fromCallStatus('no-answer')).toBe('no-answer');
  });

  it('paced rows are grouped into delayed batches spanning at most PACE_HORIZON_MS of slots, at most maxSize each', () => {
    const d = (id: string) => ({ id }) as never;
    expect(laterBatches([{ row: d('a'), at: 1000 }, { row: d('b'), at: 1900 }, { row: d('c'), at: 2100 }, { row: d('e'), at: 2200 }], 2))
      .toEqual([{ ids: ['a'], at: 1000 }, { ids: ['b', 'c'], at: 1900 }, { ids: ['e'], at: 2200 }]);
  });
});
