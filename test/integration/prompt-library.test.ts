import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addContacts, addGroup, addTwilioLine, uniqueNumber } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount } from '../helpers/runtime.js';

type Seen = { model: string; temperature?: number; prompt: string };

/** Saved prompts (docs/CHANNELS.md "Prompt library"): CRUD, versions, chosen by id in workflow actions, pinned per workflow version. */
describe('prompt library', () => {
  let env: RuntimeWithCarrier;
  let a: Awaited<ReturnType<typeof createTestAccount>>;
  let llm: Server;
  const seen: Seen[] = [];

  beforeAll(async () => {
    // The third-party OpenAI-compatible API, faked at the HTTP level: it answers with what it was asked.
    llm = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const s: Seen = { model: body.model, temperature: body.temperature, prompt: body.messages.at(-1).content };
        seen.push(s);
        res.writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: `[${s.model}] ${s.prompt.toUpperCase()}` } }] }));
      });
    });
    await new Promise<void>((r) => llm.listen(0, '127.0.0.1', () => r()));
    env = await startRuntimeWithCarrier({ PROMPT_API_URL: `http://127.0.0.1:${(llm.address() as AddressInfo).port}/v1`, PROMPT_MODEL: 'default-model' }, { web: true, worker: true });
    a = await createTestAccount(env.t);
  });
  afterAll(async () => {
    await env?.close();
    llm?.closeAllConnections();
    await new Promise((r) => llm?.close(r));
  });

  it('saves, lists, edits (new version) and deletes prompts; bad input is a 400 naming the field', async () => {
    const p = (await a.api.post('/v1/prompts').send({ name: 'Summary', text: 'Summarise [[river]]', settings: { model: 'tiny-1', temperature: 0.2 } }).expect(201)).body;
    expect(p).toMatchObject({ name: 'Summary', version: 1, text: 'Summarise [[river]]', settings: { model: 'tiny-1', temperature: 0.2 } });
    const edited = (await a.api.put(`/v1/prompts/${p.id}`).send({ name: 'Summary', text: 'Summarise [[river]] in 5 words' }).expect(200)).body;
    expect(edited).toMatchObject({ version: 2, text: 'Summarise [[river]] in 5 words', settings: {} });
    const versions = (await a.api.get(`/v1/prompts/${p.id}/versions`).expect(200)).body.data;
    expect(versions.map((v: { version: number; text: string }) => [v.version, v.text])).toEqual([[1, 'Summarise [[river]]'], [2, 'Summarise [[river]] in 5 words']]);
    expect((await a.api.get(`/v1/prompts/${p.id}/versions/1`).expect(200)).body.settings).toEqual({ model: 'tiny-1', temperature: 0.2 });
    expect((await a.api.get('/v1/prompts').expect(200)).body.data.map((x: { name: string }) => x.name)).toContain('Summary');

    const bad = await a.api.post('/v1/prompts').send({ name: ' ', text: 'x', settings: { temperature: 5, top_k: 3 } }).expect(400);
    const paths = bad.body.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'settings.temperature']));
    const dup = await a.api.post('/v1/prompts').send({ name: 'summary', text: 'x' }).expect(409);
    expect(dup.body.details).toEqual([{ path: 'name', message: 'another prompt has this name' }]);

    const other = await createTestAccount(env.t);
    await other.api.get(`/v1/prompts/${p.id}`).expect(404);
    await other.api.put(`/v1/prompts/${p.id}`).send({ name: 'mine', text: 'x' }).expect(404);
    await a.api.delete(`/v1/prompts/${p.id}`).expect(204);
    await a.api.get(`/v1/prompts/${p.id}`).expect(404);
  });

  it('a workflow action uses a saved prompt by id; its version is pinned; {{craig_prompt_output}} renders', async () => {
    const line = await addTwilioLine(env.t, a.account.id, env.creds);
    const phone = uniqueNumber();
    const group = await addGroup(env.t, a.account.id, 'Wardens', await addContacts(env.t, a.account.id, [{ name: 'Wanda', phone }]));
    const prompt = (await a.api.post('/v1/prompts').send({ name: 'Flood advice', text: 'advise on [[river]]', settings: { model: 'tiny-1', maxOutputChars: 200 } }).expect(201)).body;
    const body = (promptRef: Record<string, unknown>) => ({
      name: 'Flood alert',
      actions: [{ type: 'notification', groupIds: [group], channels: ['sms'], message: 'Flood: {{craig_prompt_output}}', prompt: { ...promptRef, appendToMessage: false } }],
    });
    const wf = (await a.api.post('/v1/workflows').send(body({ promptId: prompt.id })).expect(201)).body;
    expect(wf.actions[0].prompt).toEqual({ promptId: prompt.id, promptVersion: 1, text: 'advise on [[river]]', settings: { model: 'tiny-1', maxOutputChars: 200 }, appendToMessage: false });
    expect(wf.placeholders).toEqual(['river']);

    // The prompt is edited: the workflow version saved before keeps version 1.
    await a.api.put(`/v1/prompts/${prompt.id}`).send({ name: 'Flood advice', text: 'warn about [[river]]', settings: { model: 'tiny-2' } }).expect(200);
    const texts = () => env.carrier.messages.filter((m) => m.to === phone).map((m) => m.body);
    const first = (await a.api.post(`/v1/workflows/${wf.id}/activations`).send({ placeholders: { river: 'Elm' } }).expect(201)).body;
    await eventually(async () => texts().length === 1, 'the first text');
    expect(texts()).toEqual(['Flood: [tiny-1] ADVISE ON ELM']);
    expect(seen.at(-1)).toEqual({ model: 'tiny-1', prompt: 'advise on Elm' });
    expect(first.id).toBeTruthy();

    // Saving the workflow again pins the prompt's current version (2); the API client may also name a version.
    const resaved = (await a.api.put(`/v1/workflows/${wf.id}`).send(body({ promptId: prompt.id })).expect(200)).body;
    expect(resaved.actions[0].prompt).toMatchObject({ promptVersion: 2, text: 'warn about [[river]]', settings: { model: 'tiny-2' } });
    await a.api.post(`/v1/workflows/${wf.id}/activations`).send({ placeholders: { river: 'Oak' } }).expect(201);
    await eventually(async () => texts().length === 2, 'the second text');
    expect(texts()[1]).toBe('Flood: [tiny-2] WARN ABOUT OAK');
    const v1 = (await a.api.get(`/v1/workflows/${wf.id}/versions/1`).expect(200)).body.definition.actions[0].prompt;
    expect(v1).toMatchObject({ promptId: prompt.id, promptVersion: 1 });
    const back = (await a.api.put(`/v1/workflows/${wf.id}`).send(body({ promptId: prompt.id, promptVersion: 1 })).expect(200)).body;
    expect(back.actions[0].prompt).toMatchObject({ promptVersion: 1, text: 'advise on [[river]]' });

    // Unknown prompt, another account's prompt, unknown version: 400 naming the field.
    const other = await createTestAccount(env.t);
    const theirs = (await other.api.post('/v1/prompts').send({ name: 'Theirs', text: 'secret' }).expect(201)).body;
    for (const id of ['3f0c2a8e-5b1d-4e6a-9c7f-0a1b2c3d4e5f', theirs.id]) {
      const r = await a.api.post('/v1/workflows').send({ ...body({ promptId: id }), name: `x ${id}` }).expect(400);
      expect(r.body.details).toEqual([{ path: 'actions.0.prompt.promptId', message: 'no such prompt in this account' }]);
    }
    const r = await a.api.post('/v1/workflows').send({ ...body({ promptId: prompt.id, promptVersion: 9 }), name: 'x v9' }).expect(400);
    expect(r.body.details).toEqual([{ path: 'actions.0.prompt.promptVersion', message: 'this prompt has no version 9 (current: 2)' }]);
    const none = await a.api.post('/v1/workflows').send({ ...body({}), name: 'x none' }).expect(400);
    expect(none.body.details[0].path).toBe('actions.0.prompt.text');
  });
});
