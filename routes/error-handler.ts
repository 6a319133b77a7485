import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { AppError, zodIssues } from '../src/errors.js';

/**
 * One error body everywhere: `{ error, message, details, requestId }`. 4xx name the bad field;
 * 5xx stay generic and are logged once here.
 */
export const registerErrorHandler = (app: FastifyInstance): void => {
  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    const requestId = req.id;
    if (hasZodFastifySchemaValidationErrors(err)) {
      const ctx = (err as FastifyError & { validationContext?: string }).validationContext ?? 'body';
      const details = err.validation.map((v) => ({
        path: [ctx === 'body' ? '' : ctx, ...String(v.instancePath ?? '').split('/').filter(Boolean)].filter(Boolean).join('.') || ctx,
        message: v.message ?? 'is invalid',
      }));
      return reply.status(400).send({
        error: 'validation_failed',
        message: details.map((d) => `${d.path}: ${d.message}`).join('; '),
        details,
        requestId,
      });
    }
    if (err instanceof ZodError) {
      const details = zodIssues(err);
      return reply.status(400).send({ error: 'validation_failed', message: details.map((d) => `${d.path}: ${d.message}`).join('; '), details, requestId });
    }
    if (err instanceof AppError && err.status < 500) {
      return reply.status(err.status).send({ error: err.code, message: err.message, details: err.details ?? null, requestId });
    }
    const fe = err as FastifyError;
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code = fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'payload_too_large'
        : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type'
        : fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe instanceof SyntaxError ? 'invalid_body'
        : fe.statusCode === 429 ? 'rate_limited' : 'bad_request';
      return reply.status(fe.statusCode).send({ error: code, message: fe.message, details: null, requestId });
    }
    // PostgreSQL data exceptions (SQLSTATE class 22: out-of-range number or date, bad encoding…)
    // mean the input was unacceptable, not that the server failed.
    const sqlState = (err as { code?: unknown }).code;
    if (typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState) && (err as { severity?: unknown }).severity) {
      return reply.status(400).send({ error: 'invalid_input', message: 'a value is out of range or malformed', details: null, requestId });
    }
    req.log.error({ err }, 'request failed');
    const status = err instanceof AppError ? err.status : 500;
    return reply.status(status).send({
      error: err instanceof AppError ? err.code : 'internal_error',
      message: status === 502 ? 'an upstream provider failed' : 'internal error',
      details: null,
      requestId,
    });
  });

  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}`, details: null, requestId: req.id }),
  );
};
