import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_PREVIEW, type ScheduleService } from '../../../src/schedule/schedule-service.js';
import { auth } from '../../auth.js';

export type ScheduleRoutesOpts = { schedules: Pick<ScheduleService, 'preview' | 'runs'> };

const occurrenceOut = z.object({
  local: z.string().describe('local time with its UTC offset, e.g. 2025-03-09T03:00:00-04:00'),
  utc: z.string().describe('the same instant in UTC'),
  weekday: z.string(),
});

const previewOut = z.object({
  workflowId: z.string(),
  timezone: z.string(),
  paused: z.boolean(),
  spec: z.record(z.string(), z.unknown()),
  nextRunAt: z.string().nullable(),
  occurrences: z.array(occurrenceOut),
});

const runOut = z.object({
  occurrence: z.date(),
  status: z.enum(['fired', 'missed', 'skipped_paused', 'failed']),
  activationId: z.string().nullable(),
  error: z.string().nullable(),
  recordedAt: z.date(),
});

/** A workflow's schedule: upcoming occurrences and what happened to past ones. */
export const scheduleRoutes: FastifyPluginAsyncZod<ScheduleRoutesOpts> = async (app, { schedules }) => {
  app.get('/workflows/:id/schedule/preview', {
    schema: {
      operationId: 'previewWorkflowSchedule',
      tags: ['schedules'],
      summary: 'Next occurrences of a workflow schedule, in local time and UTC',
      params: z.object({ id: z.string() }),
      querystring: z.object({ count: z.coerce.number().int().min(1).max(MAX_PREVIEW).default(10) }).strict(),
      response: { 200: previewOut },
    },
  }, async (req) => schedules.preview(auth(req).accountId, req.params.id, req.query.count));

  app.get('/workflows/:id/schedule/runs', {
    schema: {
      operationId: 'listWorkflowScheduleRuns',
      tags: ['schedules'],
      summary: 'Recorded occurrences of a workflow schedule, newest first',
      params: z.object({ id: z.string() }),
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }).strict(),
      response: { 200: z.object({ data: z.array(runOut) }) },
    },
  }, async (req) => ({ data: await schedules.runs(auth(req).accountId, req.params.id, req.query.limit) }));
};
