import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { findPlaceholders } from '../../src/templates/templates.js';
import { sequenceTemplates } from '../../src/sequences/sequence-templates.js';
import { definitionTexts, normalizeDefinition, sequenceInputSchema } from '../../src/sequences/sequence-types.js';

const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.details;
    throw e;
  }
  throw new Error('expected a ValidationError');
};

describe('sequence definitions', () => {
  it('names the bad field of a step', () => {
    const r = sequenceInputSchema.safeParse({
      name: 'x',
      steps: [
        { type: 'send', send: { channel: 'sms', message: 'hi' } },
        { type: 'delay', delay: { amount: 1, unit: 'days' } },
        { type: 'delay', delay: { amount: -2, unit: 'days' } },
        { type: 'send', send: { channel: 'email', subject: '', message: 'x' } },
        { type: 'send', send: { channel: 'webhook', url: 'http://example.com' } },
      ],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(['steps.2.delay.amount', 'steps.3.send.subject', 'steps.4.send.url']);
  });

  it('gives steps ids and checks branch references', () => {
    const def = normalizeDefinition(sequenceInputSchema.parse({
      name: 'x',
      steps: [
        { type: 'send', send: { channel: 'sms', message: 'hi' } },
        { id: 'ask', type: 'branch', branch: { condition: { type: 'replied' }, then: 'thanks', else: 'next' } },
        { type: 'send', send: { channel: 'sms', message: 'nudge' } },
        { id: 'thanks', type: 'send', send: { channel: 'sms', message: 'thanks' } },
      ],
    }));
    expect(def.steps.map((s) => s.id)).toEqual(['s1', 'ask', 's2', 'thanks']);

    expect(issuesOf(() => normalizeDefinition(sequenceInputSchema.parse({
      name: 'x',
      steps: [
        { id: 'a', type: 'send', send: { channel: 'sms', message: 'hi' } },
        { id: 'b', type: 'branch', branch: { condition: { type: 'replied' }, then: 'nowhere', else: 'a', since: 'c' } },
        { id: 'c', type: 'send', send: { channel: 'sms', message: 'hi' } },
        { id: 'c', type: 'delay', delay: { amount: 1, unit: 'hours' } },
      ],
    })))).toEqual([
      { path: 'steps.3.id', message: 'repeats the id of step 2' },
      { path: 'steps.1.branch.then', message: 'no step has the id nowhere' },
      { path: 'steps.1.branch.else', message: 'must point to a later step (sequences may not loop)' },
      { path: 'steps.1.branch.since', message: 'must name an earlier step' },
    ]);
  });

  it('ships four valid templates whose placeholders are listed', () => {
    expect(sequenceTemplates.map((t) => t.name)).toEqual([
      'New Lead Follow-Up', 'Post-Job Review Request', 'Recurring Service Reminder', 'Payment Overdue Escalation',
    ]);
    for (const t of sequenceTemplates) {
      const input = sequenceInputSchema.parse(t.definition);
      const def = normalizeDefinition(input);
      expect(findPlaceholders(...definitionTexts(def)).sort()).toEqual([...t.placeholders].sort());
    }
  });
});
