import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const MAX = 7 * 1024 * 1024;
// The 8-byte PNG signature and a little more: bytes must come back unchanged.
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(500)]);

/** supertest parser that keeps the body as raw bytes. */
const binary = (res: NodeJS.ReadableStream, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('attachments: upload, public short URL, account scoping', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({ ATTACHMENT_MAX_BYTES: String(MAX) }, { web: true, worker: false });
  });
  afterAll(async () => t?.close());

  const upload = (api: Awaited<ReturnType<typeof createTestAccount>>['api'], data: Buffer, filename: string, contentType: string) =>
    api.post('/v1/attachments').attach('file', data, { filename, contentType });

  it('stores any file and serves the same bytes at PUBLIC_URL/a/<code> without credentials', async () => {
    const a = await createTestAccount(t);
    const res = await upload(a.api, png, 'site map.png', 'image/png').expect(201);
    expect(res.body).toMatchObject({ filename: 'site map.png', contentType: 'image/png', sizeBytes: png.length });
    expect(res.body.shortUrl).toMatch(/^http:\/\/switchboard\.test\/a\/[A-Za-z0-9]{10}$/);
    const path = new URL(res.body.shortUrl).pathname;

    const got = await t.http().get(path).buffer(true).parse(binary as never).expect(200);
    expect(Buffer.compare(got.body as Buffer, png)).toBe(0);
    expect(got.headers).toMatchObject({
      'content-type': 'image/png',
      'content-length': String(png.length),
      'content-disposition': `inline; filename="site map.png"; filename*=UTF-8''site%20map.png`,
      'x-content-type-options': 'nosniff',
    });
    expect(got.headers['content-security-policy']).toContain('sandbox');

    // The planner's port gives the same link; a deleted attachment gives none.
    expect(await t.rt.services.channels.attachments.shortUrl(a.account.id, res.body.id)).toBe(res.body.shortUrl);
  });

  it('serves active content (HTML, SVG) only as a download, never inline', async () => {
    const a = await createTestAccount(t);
    const html = await upload(a.api, Buffer.from('<script>alert(document.cookie)</script>'), 'évacuation.html', 'text/html').expect(201);
    const got = await t.http().get(new URL(html.body.shortUrl).pathname).expect(200);
    expect(got.headers['content-type']).toMatch(/^text\/html/);
    expect(got.headers['content-disposition']).toBe(`attachment; filename="_vacuation.html"; filename*=UTF-8''%C3%A9vacuation.html`);
    expect(got.headers['x-content-type-options']).toBe('nosniff');

    const odd = await upload(a.api, Buffer.from('x'), '../../etc/passwd', 'not a mime type').expect(201);
    expect(odd.body).toMatchObject({ filename: 'passwd', contentType: 'application/octet-stream' });
  });

  it('refuses a file over ATTACHMENT_MAX_BYTES with 413 naming the field, and stores nothing', async () => {
    const a = await createTestAccount(t);
    const big = Buffer.alloc(MAX + 1, 1);
    const res = await upload(a.api, big, 'big.bin', 'application/octet-stream').expect(413);
    expect(res.body).toMatchObject({ error: 'payload_too_large', details: [{ path: 'file' }] });
    // Above fastify's JSON body limit but under ours: accepted.
    await upload(a.api, Buffer.alloc(6 * 1024 * 1024, 2), 'video.mp4', 'video/mp4').expect(201);
    const list = await a.api.get('/v1/attachments').expect(200);
    expect(list.body.data.map((x: { filename: string }) => x.filename)).toEqual(['video.mp4']);
  });

  it('says what is wrong with uploads that are not one non-empty file', async () => {
    const a = await createTestAccount(t);
    const json = await a.api.post('/v1/attachments').send({ file: 'abc' }).expect(415);
    expect(json.body).toMatchObject({ error: 'unsupported_media_type', details: [{ path: 'file' }] });
    const empty = await upload(a.api, Buffer.alloc(0), 'empty.txt', 'text/plain').expect(400);
    expect(empty.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'file', message: 'is empty' }] });
    const noFile = await a.api.post('/v1/attachments').field('note', 'hello').expect(400);
    expect(noFile.body.details[0].path).toBe('file');
  });

  it('scopes GET/DELETE by account; a deleted attachment is gone from its short URL', async () => {
    const a = await createTestAccount(t);
    const b = await createTestAccount(t);
    const up = await upload(a.api, Buffer.from('hello'), 'note.txt', 'text/plain').expect(201);
    const id = up.body.id as string;
    const got = await a.api.get(`/v1/attachments/${id}`).expect(200);
    expect(got.body).toEqual({ id, filename: 'note.txt', contentType: 'text/plain', sizeBytes: 5, shortUrl: up.body.shortUrl, createdAt: up.body.createdAt });
    await b.api.get(`/v1/attachments/${id}`).expect(404);
    await b.api.delete(`/v1/attachments/${id}`).expect(404);
    await a.api.get('/v1/attachments/not-a-uuid').expect(400);

    await a.api.delete(`/v1/attachments/${id}`).expect(200);
    await a.api.get(`/v1/attachments/${id}`).expect(404);
    await t.http().get(new URL(up.body.shortUrl).pathname).expect(404);
    expect(await t.rt.services.channels.attachments.shortUrl(a.account.id, id)).toBeNull();
    await t.http().get('/a/..%2F..%2Fetc').expect(404);
    await t.http().get('/a/ZZZZZZZZZZ').expect(404);
  });

  it('lists attachments page by page', async () => {
    const a = await createTestAccount(t);
    for (const n of ['1', '2', '3']) await upload(a.api, Buffer.from(n), `${n}.txt`, 'text/plain').expect(201);
    const p1 = await a.api.get('/v1/attachments?limit=2').expect(200);
    expect(p1.body.data.map((x: { filename: string }) => x.filename)).toEqual(['1.txt', '2.txt']);
    const p2 = await a.api.get(`/v1/attachments?limit=2&cursor=${p1.body.nextCursor}`).expect(200);
    expect(p2.body).toMatchObject({ data: [{ filename: '3.txt' }], nextCursor: null });
    const bad = await a.api.get('/v1/attachments?limit=0').expect(400);
    expect(bad.body.details[0].path).toBe('querystring.limit');
  });
});
