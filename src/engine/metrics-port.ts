/**
 * Ports through which the domain reports what happened, for the Prometheus metrics
 * (docs/METRICS.md). Domain code depends on these types only, never on prom-client.
 *
 * Contract for every method: synchronous, cheap, never throws, and called once per event that
 * really happened (after the write that made it happen), so counters move by exactly that.
 * Label values passed in must come from bounded sets (sources, channels, statuses, carrier
 * codes): never phone numbers, ids or secrets.
 */

/** A delivery that just reached an outcome status. */
export type DeliveryOutcome = { channel: string; status: string };

/** Where a carrier error was seen: the carrier refused the send, or reported a failure later. */
export type CarrierErrorStage = 'send' | 'callback';

/** What the action engine reports (delivery worker, status callbacks, planner, sweeper). */
export type DeliveryMetrics = {
  /**
   * Deliveries that moved into an outcome status (sent, delivered, answered, acknowledged,
   * no-answer, busy, failed, skipped). Statuses only move forward, so a delivery counts at most
   * once per status; `pending`, `sending` and `queued` are ignored by the implementation.
   */
  reached(deliveries: ReadonlyArray<DeliveryOutcome>): void;
  /** A carrier error on a telephony channel, by the carrier's code (or `provider_error`). */
  carrierError(channel: string, code: string, stage: CarrierErrorStage): void;
  /** The delivery queue was paused because the carrier answered 429. */
  rateLimitPause(): void;
};

/** What activation triggers and the schedule loop report. */
export type ActivationMetrics = {
  /** A new activation was committed (not a repeated trigger returning the first one). */
  activationCreated(source: string): void;
  /** Schedule occurrences fired in one pass: seconds between each due time and the commit. */
  scheduleFired(lagSeconds: readonly number[]): void;
};

/** One answered HTTP request, by route pattern (never the raw URL). */
export type RequestObservation = { method: string; route: string; statusCode: number; seconds: number };
