import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/logger.js';
import { inboundCallsRepo } from '../../src/telephony/inbound-calls-repo.js';
import { createInboundCallWriter, type InboundCallRow } from '../../src/telephony/inbound-call-writer.js';
import { eventually } from '../helpers/eventually.js';

/** A fake `db.query` recording each INSERT's CallSids; `fail` decides per call what it throws. */
const fakeDb = (fail: (sids: string[], n: number) => unknown = () => null) => {
  const statements: string[][] = [];
  let n = 0;
  return {
    statements,
    db: {
      query: async (q: { values: [string] }) => {
        const sids = (JSON.parse(q.values[0]) as Array<{ p: string }>).map((r) => r.p);
        const err = fail(sids, n++);
        if (err) throw err;
        statements.push(sids);
        return { rows: [], rowCount: sids.length };
      },
    } as never,
  };
};
const row = (i: number): InboundCallRow => ({ accountId: 'a', lineId: 'l', providerCallId: `CA${i}`, from: '+13125550100', to: '+13125550199', source: 'ivr' });
const logger = () => {
  const lines: string[] = [];
  const log = { lines, warn: (_o: unknown, m: string) => void lines.push(`warn ${m}`), error: (_o: unknown, m: string) => void lines.push(`error ${m}`) };
  return log as typeof log & Pick<Logger, 'warn' | 'error'>;
};

describe('inbound call writer (history rows behind the answer)', () => {
  it('returns at once and writes calls arriving together in one statement', async () => {
    const { db, statements } = fakeDb();
    const w = createInboundCallWriter({ db, calls: inboundCallsRepo, lingerMs: 20 });
    for (let i = 0; i < 5; i++) w.write(row(i));
    expect(statements).toEqual([]); // nothing waited for PostgreSQL
    await eventually(() => statements.length > 0, 'the batch written after lingerMs');
    expect(statements).toEqual([['CA0', 'CA1', 'CA2', 'CA3', 'CA4']]);
  });

  it('starts a full batch at once and flush() writes the rest', async () => {
    const { db, statements } = fakeDb();
    const w = createInboundCallWriter({ db, calls: inboundCallsRepo, lingerMs: 10_000, maxBatch: 3 });
    for (let i = 0; i < 7; i++) w.write(row(i));
    await w.flush();
    expect(statements.flat()).toEqual(['CA0', 'CA1', 'CA2', 'CA3', 'CA4', 'CA5', 'CA6']);
    expect(statements[0]).toEqual(['CA0', 'CA1', 'CA2']);
  });

  it('keeps rows while PostgreSQL is unreachable and writes them when it is back', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { db, statements } = fakeDb((_s, n) => (n < 2 ? down : null));
    const log = logger();
    const w = createInboundCallWriter({ db, calls: inboundCallsRepo, lingerMs: 1, logger: log });
    w.write(row(1));
    w.write(row(2));
    await w.flush(10_000);
    expect(statements.flat()).toEqual(['CA1', 'CA2']);
    expect(log.lines).toContain('warn PostgreSQL unreachable: inbound call history rows kept for retry');
  });

  it('drops only the row PostgreSQL refuses, with a warning, and writes its neighbours', async () => {
    const fk = Object.assign(new Error('insert violates foreign key constraint'), { code: '23503' });
    const { db, statements } = fakeDb((sids) => (sids.includes('CA2') ? fk : null));
    const log = logger();
    const w = createInboundCallWriter({ db, calls: inboundCallsRepo, lingerMs: 1, logger: log });
    for (let i = 1; i <= 3; i++) w.write(row(i));
    await w.flush();
    expect(statements.flat().sort()).toEqual(['CA1', 'CA3']);
    expect(log.lines).toEqual(['warn inbound call history row refused; dropped']);
  });

  it('bounds what it keeps while PostgreSQL is down: the oldest rows go, loudly', async () => {
    const down = Object.assign(new Error('terminating connection'), { code: '57P01' });
    const { db } = fakeDb(() => down);
    const log = logger();
    const w = createInboundCallWriter({ db, calls: inboundCallsRepo, lingerMs: 1, maxQueued: 2, logger: log });
    for (let i = 0; i < 4; i++) w.write(row(i));
    await w.flush(300);
    expect(log.lines).toContain('error PostgreSQL unreachable: inbound call history rows dropped (queue full)');
  });
});
