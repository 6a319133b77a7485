// Activations as the engine's API exposes them (kept in one place so page code does not depend on paths).
import { api, qs } from './api.js';

/** Activates the workflow's current version; the key makes repeats return the first activation. */
export const activateWorkflow = (workflowId, placeholders, idempotencyKey) =>
  api.post(`/v1/workflows/${workflowId}/activate`, { placeholders }, { 'idempotency-key': idempotencyKey });

export const getActivation = (id) => api.get(`/v1/activations/${id}`);

export const listDeliveries = (id) => api.get(`/v1/activations/${id}/deliveries?limit=500`);

export const listActivations = (filters) => api.get(`/v1/activations${qs(filters)}`);

/** `[{ question, closesAt, options: [{ label, count }] }]` per poll of the activation; [] when it has none. */
export const getPollResults = async (id) => {
  const res = await api.get(`/v1/activations/${id}/polls`);
  return res?.data ?? [];
};
