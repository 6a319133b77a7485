/**
 * A graceful stop does not wait out HTTP keep-alive: a connection whose request was still being
 * received when the stop began is answered, then closed as soon as it is idle. Before the fix
 * the process stayed up for fastify's whole keep-alive timeout (72 s) after SIGTERM, seen when
 * the carrier's status callbacks arrived during a stop.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('graceful stop and keep-alive connections', () => {
  let t: TestRuntime | undefined;
  afterAll(async () => t?.close());

  it('finishes a request in progress when the stop began, then closes its connection without waiting for keep-alive', { timeout: 120_000 }, async () => {
    t = await startTestRuntime({ DATABASE_POOL_SIZE: '1' }, { web: true, worker: false });
    const { port } = new URL(await t.rt.listen());
    // The pool's only connection is taken: /readyz waits for it, so its request is in progress.
    const held = await t.rt.infra.db.connect();
    const socket: Socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let answer = '';
    socket.on('data', (d) => { answer += d.toString(); });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
    await new Promise((r) => setTimeout(r, 200)); // the handler is waiting for a database connection
    const started = Date.now();
    const stopping = t.rt.stop();
    await new Promise((r) => setTimeout(r, 200));
    held.release();
    await stopping;
    const stopMs = Date.now() - started;
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    // Keep-alive is 72 s: a stop that waited it out would take over a minute.
    expect(stopMs).toBeLessThan(20_000);
  });
});
