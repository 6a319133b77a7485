import { z } from 'zod';

/**
 * The prompt runner's settings a saved prompt may choose (adapters/prompt/openai-prompt-runner.ts):
 * the model, the longest answer kept, and the sampling temperature. Absent: the server's defaults
 * (PROMPT_MODEL, 2,000 characters, the API's own temperature).
 */
export const promptSettingsSchema = z.object({
  model: z.string().trim().min(1, 'may not be empty').max(100).regex(/^[A-Za-z0-9._:/@-]+$/, 'must be a model name such as gpt-4o-mini').optional(),
  maxOutputChars: z.number().int().min(20).max(4000).optional(),
  temperature: z.number().min(0).max(2).optional(),
}).strict();
export type PromptSettings = z.infer<typeof promptSettingsSchema>;

/** Create or replace a saved prompt (a replace is a new version). */
export const promptInputSchema = z.object({
  name: z.string().trim().min(1, 'may not be empty').max(200),
  text: z.string().trim().min(1, 'may not be empty').max(4000),
  settings: promptSettingsSchema.default({}),
}).strict();
export type PromptInput = z.infer<typeof promptInputSchema>;

/** A saved prompt as the API shows it: its current version's text and settings. */
export type Prompt = {
  id: string;
  name: string;
  version: number;
  text: string;
  settings: PromptSettings;
  createdAt: Date;
  updatedAt: Date;
};

/** One immutable version of a prompt. */
export type PromptVersion = { version: number; text: string; settings: PromptSettings; createdAt: Date };
