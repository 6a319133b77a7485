export const activationSources = [
  'ivr', 'sms', 'api', 'dashboard', 'agent', 'schedule', 'rule', 'sequence', 'call_tracking', 'sender_report',
] as const;
export type ActivationSource = (typeof activationSources)[number];

/**
 * queued -> planning -> running (sending) -> dispatched (every send handed to the carrier) -> completed
 * (every delivery final: delivered, answered, failed, skipped...); failed: could not be planned.
 */
export type ActivationStatus = 'queued' | 'planning' | 'running' | 'dispatched' | 'completed' | 'failed';

export type Activation = {
  id: string;
  accountId: string;
  workflowId: string;
  workflowVersionId: string;
  workflowVersion: number;
  source: ActivationSource;
  idempotencyKey: string;
  placeholders: Record<string, string>;
  inboundMessage: string | null;
  recordingUrl: string | null;
  context: Record<string, unknown>;
  status: ActivationStatus;
  recipientCount: number | null;
  error: string | null;
  createdAt: Date;
  plannedAt: Date | null;
  completedAt: Date | null;
};

export type ActivateInput = {
  accountId: string;
  workflowId: string;
  source: ActivationSource;
  /** `twilio:<CallSid>`, `twilio:<MessageSid>`, `schedule:<workflow>:<occurrence>`, `api:<Idempotency-Key>`… */
  idempotencyKey: string;
  placeholders?: Record<string, string>;
  inboundMessage?: string | null;
  recordingUrl?: string | null;
  /** Who or what triggered it (caller number, rule id, call id…), kept on the activation. */
  context?: Record<string, unknown>;
  /** Hash of the request body: the same key with another body is refused (422). */
  requestHash?: string;
  /** 'conflict': a concurrent request holding the same key gets 409 instead of waiting for it. */
  onConcurrent?: 'wait' | 'conflict';
};

export type ActivateResult = { activation: Activation; created: boolean };

/** One activation to create in bulk: the subset of `activate()`'s input a machine trigger uses. */
export type BatchActivateItem = Pick<ActivateInput, 'accountId' | 'workflowId' | 'source' | 'idempotencyKey' | 'placeholders' | 'context'>;
