// Activations as the engine's API exposes them (kept in one place so page code does not depend on paths).
import { api, qs } from './api.js';

/** Activates the workflow's current version; the key makes repeats return the first activation. */
export const activateWorkflow = (workflowId, placeholders, idempotencyKey) =>
  api.post(`/v1/workflows/${workflowId}/activations`, { placeholders, source: 'dashboard' }, { 'idempotency-key': idempotencyKey });

/** The activation with `workflowName`, `counts` and `recipients[{ recipientKey, contactId, name, deliveries[] }]`. */
export const getActivation = (id) => api.get(`/v1/activations/${id}`);

/** Flattens the detail's recipients into one row per delivery. */
export const deliveriesOf = (detail) =>
  (detail.recipients ?? []).flatMap((r) => r.deliveries.map((d) => ({ ...d, id: d.deliveryId, recipientKey: r.recipientKey, contactId: r.contactId, contactName: r.name })));

/** Newest first; filters: workflowId, source, from, to (ISO), limit, cursor. */
export const listActivations = (filters) => api.get(`/v1/activations${qs(filters)}`);

/** `[{ question, closesAt, closed, answerCount, options: [{ number, text, count }], answers: [...] }]`; [] when none. */
export const getPollResults = async (id) => {
  const res = await api.get(`/v1/activations/${id}/polls`);
  return res?.data ?? [];
};
