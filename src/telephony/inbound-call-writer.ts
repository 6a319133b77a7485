/**
 * Records inbound calls (the `calls` history row of every first voice webhook) behind the
 * answer: the greeting does not wait for PostgreSQL. Rows are queued in the process and written
 * together by one multi-row INSERT at most `lingerMs` (5 ms) after the first of them arrives, or
 * at once when `maxBatch` are waiting; one insert is in flight at a time. Calls arriving while
 * one is in flight form the next batch.
 *
 * Why: the row is history, not the trigger (the activation is committed durably by the code
 * step in its own transaction), and it was already committed with `synchronous_commit = off`.
 * Waiting for it made every caller's greeting wait for a PostgreSQL round trip, and writing
 * rows nearly one per statement cost PostgreSQL ~400 µs per statement on this machine
 * (bench:webhooks). Batching them over a few milliseconds costs ~40 µs per row instead.
 *
 * Guarantees, as before: once per CallSid (carrier retries store nothing new, `ON CONFLICT DO
 * NOTHING`); the caller's contact is resolved inside the INSERT when not given. What changes:
 * the row appears up to `lingerMs` + one insert after the greeting is answered — the code step
 * upserts the same row (`noteCallActivation`), so an early code step on another process never
 * misses it — and a process killed (-9) within those milliseconds loses the rows it held (a
 * graceful stop writes them: `flush()`). If PostgreSQL is unreachable the rows stay queued
 * (bounded: `maxQueued`, the oldest are dropped with an error log beyond that) and are retried
 * with backoff; a row PostgreSQL refuses (its line was deleted meanwhile…) is dropped with a
 * warning, without its neighbours.
 */
import type { Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import type { InboundCallRow, InboundCallsRepo } from './inbound-calls-repo.js';

export type { InboundCallRow } from './inbound-calls-repo.js';

export type InboundCallWriter = {
  /** Queues the call's history row; never throws, never waits for PostgreSQL. */
  write(call: InboundCallRow): void;
  /** Writes every queued row (graceful shutdown, tests); gives up after `timeoutMs` if PostgreSQL stays down. */
  flush(timeoutMs?: number): Promise<void>;
};

/** PostgreSQL not reachable (vs. refusing the row): keep the rows and try again later. */
const isUnavailable = (err: unknown): boolean => {
  const code = (err as { code?: unknown })?.code;
  return typeof code !== 'string' || /^(08|57P|53)/.test(code) || /^E[A-Z]+$/.test(code);
};

export type InboundCallWriterDeps = {
  db: Db;
  calls: Pick<InboundCallsRepo, 'insertInboundCalls'>;
  logger?: Pick<Logger, 'warn' | 'error'>;
  /** Longest a queued row waits for companions before its insert starts (ms). */
  lingerMs?: number;
  maxBatch?: number;
  /** Rows kept while PostgreSQL is unreachable. */
  maxQueued?: number;
};

export const createInboundCallWriter = (deps: InboundCallWriterDeps): InboundCallWriter => {
  const lingerMs = deps.lingerMs ?? 5;
  const maxBatch = deps.maxBatch ?? 500;
  const maxQueued = deps.maxQueued ?? 50_000;
  let queue: InboundCallRow[] = [];
  let inFlight: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;
  /** Waiters of `flush()`: while there are any, nothing lingers. */
  const idle: Array<() => void> = [];

  const insert = (rows: InboundCallRow[]) => deps.calls.insertInboundCalls(deps.db, rows);

  /** Writes one batch; returns rows to try again later (PostgreSQL unreachable). */
  const writeBatch = async (batch: InboundCallRow[]): Promise<InboundCallRow[]> => {
    try {
      await insert(batch);
      return [];
    } catch (err) {
      if (isUnavailable(err)) return batch;
      // One bad row must not lose its neighbours: each on its own.
      const again: InboundCallRow[] = [];
      for (const row of batch) {
        await insert([row]).catch((e: unknown) => {
          if (isUnavailable(e)) again.push(row);
          else deps.logger?.warn({ err: e, providerCallId: row.providerCallId }, 'inbound call history row refused; dropped');
        });
      }
      return again;
    }
  };

  const schedule = (delayMs: number) => {
    if (timer || inFlight || queue.length === 0) return;
    timer = setTimeout(() => {
      timer = null;
      run();
    }, delayMs);
    timer.unref?.();
  };

  const run = () => {
    if (inFlight || queue.length === 0) return;
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    inFlight = writeBatch(batch).then((again) => {
      if (again.length === 0) {
        failures = 0;
        return;
      }
      failures++;
      queue = [...again, ...queue];
      if (queue.length > maxQueued) {
        const dropped = queue.length - maxQueued;
        queue = queue.slice(dropped);
        deps.logger?.error({ dropped }, 'PostgreSQL unreachable: inbound call history rows dropped (queue full)');
      }
      if (failures === 1 || failures % 20 === 0) deps.logger?.warn({ queued: queue.length, failures }, 'PostgreSQL unreachable: inbound call history rows kept for retry');
    }).finally(() => {
      inFlight = null;
      if (queue.length === 0) {
        for (const done of idle.splice(0)) done();
        return;
      }
      // Full batches go at once; a partial one lingers; after a failure, back off.
      schedule(failures > 0 ? Math.min(5_000, 100 * 2 ** Math.min(failures, 6)) : queue.length >= maxBatch || idle.length > 0 ? 0 : lingerMs);
    });
  };

  return {
    write(row) {
      queue.push(row);
      if (queue.length >= maxBatch && !inFlight) {
        if (timer) clearTimeout(timer);
        timer = null;
        run();
      } else schedule(lingerMs);
    },
    async flush(timeoutMs = 5_000) {
      if (queue.length === 0 && !inFlight) return;
      const done = new Promise<void>((resolve) => idle.push(resolve));
      if (timer) clearTimeout(timer);
      timer = null;
      run();
      let t: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise<void>((resolve) => { t = setTimeout(resolve, timeoutMs); })]);
      clearTimeout(t);
    },
  };
};
