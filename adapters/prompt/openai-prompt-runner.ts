import { performance } from 'node:perf_hooks';
import type { PromptContext, PromptRunner } from '../../src/engine/notification-extras-port.js';

export type OpenAiPromptOptions = {
  /** PROMPT_API_URL: the API base (`https://api.openai.com/v1`) or the full `/chat/completions` URL. */
  apiUrl: string | undefined;
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
  /** Longest output kept (characters); the rest is cut. */
  maxOutputChars?: number;
  fetch?: typeof fetch;
};

export type PromptDegradeReason = 'not_configured' | 'timeout' | 'http_error' | 'network' | 'invalid_response' | 'empty';

/** A prompt's result: its output, or why the notification goes out without it. */
export type PromptOutcome =
  | { ok: true; output: string; durationMs: number; model: string }
  | { ok: false; reason: PromptDegradeReason; message: string; durationMs: number };

/** Thrown by `run` (the engine's `PromptRunner` port): the planner degrades and logs `message`. */
export class PromptFailedError extends Error {
  constructor(readonly reason: PromptDegradeReason, message: string) {
    super(message);
    this.name = 'PromptFailedError';
  }
}

const SYSTEM = 'You help write emergency and operational notifications. Answer with plain text only, concise, '
  + 'no markdown: your answer is inserted into an SMS, e-mail, voice call or webhook as it is.';

export const chatCompletionsUrl = (apiUrl: string): string => {
  const base = apiUrl.replace(/\/+$/, '');
  return /\/chat\/completions$/.test(base) ? base : `${base}/chat/completions`;
};

/**
 * Prompt runner for any OpenAI-compatible chat-completions API (OpenAI, Azure OpenAI behind a
 * gateway, vLLM, Ollama, LM Studio…). One request per call, bounded by PROMPT_TIMEOUT_MS; it
 * never retries, because a notification must not wait on a language model: every failure
 * degrades (the message goes out without the prompt output and the delivery log says why).
 */
export const createOpenAiPromptRunner = (opts: OpenAiPromptOptions): PromptRunner & { complete(prompt: string, settings?: PromptContext['settings']): Promise<PromptOutcome> } => {
  const doFetch = opts.fetch ?? fetch;
  const defaultMaxChars = opts.maxOutputChars ?? 2000;

  /** `settings`: a saved prompt's model, longest answer and temperature (absent: the defaults above). */
  const complete = async (prompt: string, settings: PromptContext['settings'] = {}): Promise<PromptOutcome> => {
    const model = settings.model ?? opts.model;
    const maxChars = settings.maxOutputChars ?? defaultMaxChars;
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const fail = (reason: PromptDegradeReason, message: string): PromptOutcome => ({ ok: false, reason, message, durationMs: ms() });
    if (!opts.apiUrl) return fail('not_configured', 'prompt API is not configured (PROMPT_API_URL)');

    let res: Response;
    try {
      res = await doFetch(chatCompletionsUrl(opts.apiUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
        body: JSON.stringify({
          model, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: prompt }],
          ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
        }),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return fail('timeout', `prompt API did not answer within ${opts.timeoutMs} ms`);
      return fail('network', `prompt API unreachable: ${e.cause?.code ?? e.message}`);
    }
    let json: unknown;
    try {
      const text = await res.text();
      if (!res.ok) return fail('http_error', `prompt API answered HTTP ${res.status}`);
      json = JSON.parse(text);
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return fail('timeout', `prompt API did not answer within ${opts.timeoutMs} ms`);
      return fail('invalid_response', 'prompt API returned a body that is not JSON');
    }
    const content = (json as { choices?: Array<{ message?: { content?: unknown } }> })?.choices?.[0]?.message?.content;
    if (typeof content !== 'string') return fail('invalid_response', 'prompt API response has no choices[0].message.content');
    const output = content.trim();
    if (!output) return fail('empty', 'prompt API returned an empty answer');
    return { ok: true, output: output.length > maxChars ? `${output.slice(0, maxChars - 1)}…` : output, durationMs: ms(), model };
  };

  return {
    complete,
    async run(prompt: string, ctx: PromptContext): Promise<string> {
      const out = await complete(prompt, ctx.settings);
      if (!out.ok) throw new PromptFailedError(out.reason, out.message);
      return out.output;
    },
  };
};
