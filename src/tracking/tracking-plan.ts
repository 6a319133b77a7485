import { trackingSettingsSchema } from '../lines/line-settings.js';

/** Defaults when a tracking line leaves them out. */
export const DEFAULT_RING_TIMEOUT_SECONDS = 20;

/** How a tracking line forwards its calls, with defaults applied. */
export type ForwardPlan = {
  source: string;
  numbers: string[];
  strategy: 'sequential' | 'simultaneous';
  ringTimeoutSeconds: number;
  record: boolean;
  whisper: string | null;
};

/**
 * The forwarding plan of a line from its `settings.tracking` (validated on write by the lines
 * API; re-checked here so a row written otherwise cannot break a call). Null: nowhere to forward.
 * The source defaults to the line's name, then its number.
 */
export const forwardPlan = (line: { name: string; phoneNumber: string; settings: Record<string, unknown> }): ForwardPlan | null => {
  const parsed = trackingSettingsSchema.safeParse(line.settings.tracking ?? {});
  if (!parsed.success) return null;
  const t = parsed.data;
  const numbers = t.forwardTo === undefined ? [] : typeof t.forwardTo === 'string' ? [t.forwardTo] : t.forwardTo;
  if (numbers.length === 0) return null;
  return {
    source: t.source ?? (line.name.trim() || line.phoneNumber),
    numbers,
    strategy: t.ringStrategy ?? 'sequential',
    ringTimeoutSeconds: t.ringTimeoutSeconds ?? DEFAULT_RING_TIMEOUT_SECONDS,
    record: t.record ?? false,
    whisper: t.whisper ? t.whisper : null,
  };
};
