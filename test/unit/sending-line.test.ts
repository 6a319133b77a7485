import { describe, expect, it } from 'vitest';
import { chooseSendingLine, requestedLineIds, type LineCandidate } from '../../src/engine/sending-line.js';

/** Which line sends (src/engine/sending-line.ts): one rule for every feature's text or call. */
describe('chooseSendingLine', () => {
  const line = (id: string, mode: string, createdAtMicros: number): LineCandidate => ({ id, mode, createdAtMicros });
  const trackingOld = line('aaaa', 'tracking', 100);
  const activationB = line('bbbb', 'activation', 300);
  const activationA = line('cccc', 'activation', 200);
  const trackingNew = line('dddd', 'tracking', 400);
  // Deliberately not in age order: the chooser orders them itself.
  const all = [trackingNew, activationB, trackingOld, activationA];
  const id = (l: LineCandidate | null) => l?.id ?? null;

  it('takes the named line when it is the account\'s, over preferred and older lines', () => {
    expect(id(chooseSendingLine(all, { named: 'dddd', preferred: ['bbbb'] }))).toBe('dddd');
  });

  it('gives no line when the named line is not the account\'s (deleted): never another number', () => {
    expect(chooseSendingLine(all, { named: 'gone', preferred: ['bbbb'] })).toBeNull();
  });

  it('takes the first preferred line that is the account\'s, passing over one that is gone', () => {
    expect(id(chooseSendingLine(all, { preferred: ['dddd', 'bbbb'] }))).toBe('dddd');
    expect(id(chooseSendingLine(all, { preferred: [null, 'gone', undefined, 'aaaa'] }))).toBe('aaaa');
  });

  it('else the oldest activation-mode line, even when a tracking line is older', () => {
    expect(id(chooseSendingLine(all, {}))).toBe('cccc');
    expect(id(chooseSendingLine(all, { named: null, preferred: ['gone'] }))).toBe('cccc');
  });

  it('else (no activation line) the oldest line of any mode', () => {
    expect(id(chooseSendingLine([trackingNew, trackingOld], {}))).toBe('aaaa');
  });

  it('breaks a tie in age by id', () => {
    const tied = [line('b2', 'activation', 500), line('a1', 'activation', 500), line('c3', 'tracking', 500)];
    expect(id(chooseSendingLine(tied, {}))).toBe('a1');
    expect(id(chooseSendingLine([line('z9', 'tracking', 500), line('y8', 'tracking', 500)], {}))).toBe('y8');
  });

  it('gives no line when the account has none', () => {
    expect(chooseSendingLine([], {})).toBeNull();
    expect(chooseSendingLine([], { preferred: ['aaaa'] })).toBeNull();
  });

  it('asks the repository for the named line only, else for every preferred one', () => {
    expect(requestedLineIds({ named: 'x', preferred: ['y'] })).toEqual(['x']);
    expect(requestedLineIds({ named: null, preferred: ['y', null, undefined, 'z'] })).toEqual(['y', 'z']);
    expect(requestedLineIds({})).toEqual([]);
  });
});
