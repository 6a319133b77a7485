import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/crypto.js';
import { toPublicDefinition, toStoredDefinition } from '../../src/workflows/workflow-definitions.js';
import { checkDefinitionRules } from '../../src/workflows/workflow-rules.js';
import { workflowInputSchema, type WorkflowInput } from '../../src/workflows/workflow-types.js';
import { toKeypadDigits } from '../../src/workflows/keypad.js';

const G = '00000000-0000-4000-8000-000000000001';
const L = '00000000-0000-4000-8000-000000000002';
const parse = (raw: unknown): WorkflowInput => workflowInputSchema.parse(raw);
const notify = (message: string, extra: Record<string, unknown> = {}) => ({ type: 'notification', groupIds: [G], message, channels: ['sms'], ...extra });
const hook = (body: string) => ({ type: 'webhook', url: 'https://example.com/hook', body });

describe('workflow rules', () => {
  it('maps codes to keypad digits: RESQ and PERS collide', () => {
    expect(toKeypadDigits('RESQ')).toBe('7377');
    expect(toKeypadDigits('PERS')).toBe('7377');
    expect(toKeypadDigits('A1Z9')).toBe('2199');
  });

  it('forbids [[placeholders]] in any message of a code-activated workflow, naming the field', () => {
    const input = parse({
      name: 'x', codeActivation: { lineId: L, code: 'resq' },
      actions: [notify('Fire at [[address]]'), { type: 'conference', groupIds: [G], lineId: L, intro: 'Hi [[name]]' }, hook('{"a":"[[b]]"}')],
    });
    expect(input.codeActivation?.code).toBe('RESQ');
    expect(checkDefinitionRules(input).map((i) => i.path)).toEqual(['actions.0.message', 'actions.1.intro', 'actions.2.body']);
    // Without code activation the same texts are fine; {{fields}} are always fine.
    expect(checkDefinitionRules(parse({ name: 'x', actions: [notify('Fire at [[address]]')] }))).toEqual([]);
    expect(checkDefinitionRules(parse({ name: 'x', codeActivation: { lineId: L, code: 'RESQ' }, actions: [notify('Call {{caller}}')] }))).toEqual([]);
  });

  it('requires a webhook body to be JSON once placeholders and fields are filled (JSON-escaped)', () => {
    const ok = ['{"text":"[[reason]] at {{recording_url}}"}', '{"n": 1, "list": ["[[a]]", "{{b}}"]}', '  '];
    for (const body of ok) expect(checkDefinitionRules(parse({ name: 'x', actions: [hook(body)] }))).toEqual([]);
    const bad = ['{"text": [[reason]]}', '{"n": {{count}}}', 'not json', '{"a":1'];
    for (const body of bad) {
      const issues = checkDefinitionRules(parse({ name: 'x', actions: [hook(body)] }));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ path: 'actions.0.body', message: expect.stringContaining('valid JSON') });
    }
  });

  it('refuses two conference actions on one line and repeated action ids', () => {
    const input = parse({
      name: 'x',
      actions: [
        { id: 'a', type: 'conference', groupIds: [G], lineId: L, intro: 'one' },
        { id: 'a', type: 'conference', groupIds: [G], lineId: L, intro: 'two' },
      ],
    });
    expect(checkDefinitionRules(input)).toEqual([
      { path: 'actions.1.id', message: 'repeats actions.0.id' },
      { path: 'actions.1.lineId', message: expect.stringContaining('one conference per line') },
    ]);
  });

  it('keeps client action ids, generates unique ones, and seals webhook authorization', () => {
    const box = createSecretBox('k'.repeat(32));
    const v1 = toStoredDefinition(parse({ name: 'x', actions: [{ ...hook('{}'), id: 'mine', authorization: 'Bearer s3cret' }, notify('a'), notify('b')] }), box);
    expect(v1.actions[0]!.id).toBe('mine');
    expect(new Set(v1.actions.map((a) => a.id)).size).toBe(3);
    const stored = v1.actions[0] as { authorizationSealed?: string };
    expect(JSON.stringify(v1)).not.toContain('s3cret');
    expect(box.open(stored.authorizationSealed!)).toBe('Bearer s3cret');
    expect(toPublicDefinition(v1).actions[0]).toMatchObject({ id: 'mine', authorizationSet: true });
    expect(JSON.stringify(toPublicDefinition(v1))).not.toContain(stored.authorizationSealed!);

    // Left out on update: kept for the same id. null: cleared. Another id: not inherited.
    const kept = toStoredDefinition(parse({ name: 'x', actions: [{ ...hook('{}'), id: 'mine' }] }), box, v1);
    expect((kept.actions[0] as { authorizationSealed?: string }).authorizationSealed).toBe(stored.authorizationSealed);
    const cleared = toStoredDefinition(parse({ name: 'x', actions: [{ ...hook('{}'), id: 'mine', authorization: null }] }), box, v1);
    expect(toPublicDefinition(cleared).actions[0]).toMatchObject({ authorizationSet: false });
    const other = toStoredDefinition(parse({ name: 'x', actions: [{ ...hook('{}'), id: 'other' }] }), box, v1);
    expect(toPublicDefinition(other).actions[0]).toMatchObject({ authorizationSet: false });
  });

  it('lists the placeholders an activation must fill', () => {
    const def = toStoredDefinition(parse({ name: 'x', actions: [notify('At [[address]]: [[what]]', { subject: '[[what]]' }), hook('{"a":"[[extra]]"}')] }), createSecretBox('k'.repeat(32)));
    expect(toPublicDefinition(def).placeholders).toEqual(['address', 'what', 'extra']);
  });
});
