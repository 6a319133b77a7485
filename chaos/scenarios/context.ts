import type { ChaosStack } from '../stack.js';
import type { Carrier, Cluster } from '../cluster.js';

/** What a scenario gets: the stack it may break, the running cluster, the carrier, a deadline. */
export type ScenarioContext = {
  root: string;
  stack: ChaosStack;
  cluster: Cluster;
  carrier: Carrier;
  /** Fan-out size (CHAOS_RECIPIENTS, default 10,000). */
  recipients: number;
  /** Fails the scenario when a wait runs past its time budget. */
  deadline: number;
  log(msg: string): void;
};

/** Polls `fn` until it returns a truthy value or the scenario's deadline passes (then null). */
export const waitUntil = async <T>(ctx: ScenarioContext, fn: () => Promise<T | null | undefined | false>, everyMs = 250): Promise<T | null> => {
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > ctx.deadline) return null;
    await new Promise((r) => setTimeout(r, everyMs));
  }
};

/** Waits until the carrier count stops moving for `quietMs` (late duplicates would show up here). */
export const settle = async (ctx: ScenarioContext, quietMs = 12_000) => {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const c = await ctx.carrier.count();
    if (c.messages !== last) { last = c.messages; since = Date.now(); }
    if (Date.now() - since >= quietMs || Date.now() > ctx.deadline) return;
    await new Promise((r) => setTimeout(r, 500));
  }
};

/**
 * An activation whose every delivery is with the carrier: `dispatched` while the carrier's word
 * is awaited (the emulator of dev/carrier/standalone.ts holds its status callbacks an hour, so a
 * fan-out ends there), `completed` once every delivery is final. Nothing pending or sending.
 */
export const handedOver = (status: string): boolean => status === 'dispatched' || status === 'completed';
