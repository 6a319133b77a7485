import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../../routes/error-handler.js';
import { ConflictError } from '../../src/errors.js';

const appThrowing = async (err: unknown) => {
  const app = Fastify();
  registerErrorHandler(app);
  app.get('/x', async () => { throw err; });
  await app.ready();
  return app;
};

describe('error handler', () => {
  it('maps a PostgreSQL data exception (class 22) to a 400, not a 500', async () => {
    const pgErr = Object.assign(new Error('value "99999999999" is out of range for type integer'), { code: '22003', severity: 'ERROR' });
    const res = await (await appThrowing(pgErr)).inject('/x');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_input', details: null });
    expect(res.body).not.toContain('99999999999');
  });

  it('keeps domain errors as they are and hides internals of unexpected ones', async () => {
    const conflict = await (await appThrowing(new ConflictError('workflow is paused', 'workflow_paused'))).inject('/x');
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ error: 'workflow_paused', message: 'workflow is paused' });
    const boom = await (await appThrowing(new Error('secret connection string postgres://u:pw@h'))).inject('/x');
    expect(boom.statusCode).toBe(500);
    expect(boom.json()).toMatchObject({ error: 'internal_error', message: 'internal error' });
    expect(boom.body).not.toContain('pw@h');
  });
});
