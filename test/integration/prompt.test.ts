import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCompletionsUrl, createOpenAiPromptRunner, PromptFailedError } from '../../adapters/prompt/openai-prompt-runner.js';
import type { PromptContext } from '../../src/engine/notification-extras-port.js';

/** A local stand-in for the third-party OpenAI-compatible API. */
type Seen = { url: string; headers: IncomingMessage['headers']; body: { model: string; messages: Array<{ role: string; content: string }> } };
let handler: (req: Seen, res: ServerResponse) => void;
const seen: Seen[] = [];

const ctx: PromptContext = {
  accountId: 'a', activationId: 'x', actionId: 'n', workflowName: 'Flood', placeholders: {}, inboundMessage: null, recordingUrl: null,
};

describe('prompt runner (OpenAI-compatible chat completions)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const s: Seen = { url: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
        seen.push(s);
        handler(s, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const runner = (over: Partial<Parameters<typeof createOpenAiPromptRunner>[0]> = {}) =>
    createOpenAiPromptRunner({ apiUrl: base, apiKey: 'sk-test', model: 'tiny-model', timeoutMs: 1000, ...over });
  const answer = (content: unknown) => (_s: Seen, res: ServerResponse) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c1', choices: [{ index: 0, message: { role: 'assistant', content } }] }));

  it('sends the prompt with model and key, and returns the trimmed answer', async () => {
    handler = answer('  Move to the 3rd floor. Avoid Elm St.  \n');
    const before = seen.length;
    const out = await runner().complete('Summarise: river at 5.2 m');
    expect(out).toMatchObject({ ok: true, output: 'Move to the 3rd floor. Avoid Elm St.', model: 'tiny-model' });
    const [req] = seen.slice(before);
    expect(req!.url).toBe('/v1/chat/completions');
    expect(req!.headers.authorization).toBe('Bearer sk-test');
    expect(req!.body.model).toBe('tiny-model');
    expect(req!.body.messages.at(-1)).toEqual({ role: 'user', content: 'Summarise: river at 5.2 m' });
    await expect(runner().run('again', ctx)).resolves.toBe('Move to the 3rd floor. Avoid Elm St.');
  });

  it('degrades on a timeout, within the configured time', async () => {
    handler = (_s, res) => setTimeout(() => answer('late')(_s, res), 1500);
    const started = Date.now();
    const out = await runner({ timeoutMs: 200 }).complete('x');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(out).toMatchObject({ ok: false, reason: 'timeout', message: 'prompt API did not answer within 200 ms' });
    await expect(runner({ timeoutMs: 200 }).run('x', ctx)).rejects.toMatchObject({ reason: 'timeout' });
  });

  it('degrades on HTTP 500 and on 401', async () => {
    handler = (_s, res) => res.writeHead(500).end('{"error":"boom"}');
    expect(await runner().complete('x')).toMatchObject({ ok: false, reason: 'http_error', message: 'prompt API answered HTTP 500' });
    handler = (_s, res) => res.writeHead(401).end('{"error":"bad key"}');
    expect(await runner().complete('x')).toMatchObject({ ok: false, reason: 'http_error', message: 'prompt API answered HTTP 401' });
  });

  it('degrades on malformed or empty answers', async () => {
    handler = (_s, res) => res.writeHead(200).end('<html>gateway</html>');
    expect(await runner().complete('x')).toMatchObject({ ok: false, reason: 'invalid_response' });
    handler = (_s, res) => res.writeHead(200).end('{"choices":[]}');
    expect(await runner().complete('x')).toMatchObject({ ok: false, reason: 'invalid_response' });
    handler = answer('   ');
    expect(await runner().complete('x')).toMatchObject({ ok: false, reason: 'empty' });
  });

  it('says so when not configured or unreachable, without calling anything', async () => {
    const before = seen.length;
    expect(await runner({ apiUrl: undefined }).complete('x')).toMatchObject({ ok: false, reason: 'not_configured' });
    await expect(runner({ apiUrl: undefined }).run('x', ctx)).rejects.toBeInstanceOf(PromptFailedError);
    expect(seen.length).toBe(before);
    expect(await runner({ apiUrl: 'http://127.0.0.1:1/v1' }).complete('x')).toMatchObject({ ok: false, reason: 'network' });
  });

  it('caps very long output', async () => {
    handler = answer('x'.repeat(5000));
    const out = await runner({ maxOutputChars: 100 }).complete('x');
    expect(out.ok && out.output.length).toBe(100);
  });

  it('accepts the base URL or the full endpoint URL', () => {
    expect(chatCompletionsUrl('https://api.openai.com/v1/')).toBe('https://api.openai.com/v1/chat/completions');
    expect(chatCompletionsUrl('http://llm:8000/v1/chat/completions')).toBe('http://llm:8000/v1/chat/completions');
  });
});
