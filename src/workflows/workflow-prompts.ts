import { ValidationError, type FieldIssue } from '../errors.js';
import type { PromptSettings } from '../prompts/prompt-types.js';
import type { WorkflowInput } from './workflow-types.js';

/**
 * Port: the prompt library (src/prompts). `resolve` gives the version to pin — `version`, else
 * the current one — of a prompt of this account that is not deleted, or null.
 */
export type PromptLibrary = {
  resolve(accountId: string, promptId: string, version?: number): Promise<{ version: number; text: string; settings: PromptSettings } | null>;
};

/**
 * Pins each saved prompt an action names: its text and settings are copied into the definition
 * with `promptVersion`, so the workflow version runs that prompt version whatever is edited later.
 * An unknown prompt (or one of another account) or version is a 400 naming
 * `actions.<i>.prompt.promptId` / `.promptVersion`.
 */
export const pinPrompts = async (library: PromptLibrary | undefined, accountId: string, input: WorkflowInput): Promise<WorkflowInput> => {
  const issues: FieldIssue[] = [];
  const actions: WorkflowInput['actions'] = [];
  for (const [i, a] of input.actions.entries()) {
    const p = a.type === 'notification' || a.type === 'webhook' ? a.prompt : undefined;
    if (!p?.promptId) {
      actions.push(a);
      continue;
    }
    const found = library ? await library.resolve(accountId, p.promptId, p.promptVersion) : null;
    if (!found) {
      const current = p.promptVersion !== undefined && library ? await library.resolve(accountId, p.promptId) : null;
      issues.push(current
        ? { path: `actions.${i}.prompt.promptVersion`, message: `this prompt has no version ${p.promptVersion} (current: ${current.version})` }
        : { path: `actions.${i}.prompt.promptId`, message: 'no such prompt in this account' });
      actions.push(a);
      continue;
    }
    actions.push({ ...a, prompt: { ...p, promptVersion: found.version, text: found.text, settings: found.settings } } as typeof a);
  }
  if (issues.length > 0) throw new ValidationError(issues.map((x) => `${x.path}: ${x.message}`).join('; '), issues);
  return { ...input, actions };
};
