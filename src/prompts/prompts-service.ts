import { mapPgError, withTransaction, type Db } from '../db/db.js';
import type { Page, PageQuery } from '../db/pagination.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Prompt, PromptInput, PromptSettings, PromptVersion } from './prompt-types.js';
import {
  bumpPrompt, findPrompt, findPromptVersion, insertPrompt, insertPromptVersion, listPromptVersions, listPrompts, softDeletePrompt,
} from './prompts-repo.js';

export type PromptsServiceDeps = { db: Db };

/** A prompt version as a workflow pins it. */
export type ResolvedPrompt = { promptId: string; name: string; version: number; text: string; settings: PromptSettings };

const nameTaken = (err: unknown): never => {
  if ((err as { constraint?: string }).constraint === 'prompts_name_uniq') {
    throw new ConflictError('name: another prompt has this name', 'conflict', [{ path: 'name', message: 'another prompt has this name' }]);
  }
  return mapPgError(err);
};

/**
 * The prompt library: an account's saved prompts. Every replace is a new immutable version
 * (history readable); delete is soft, so workflow versions that pinned a version keep it.
 * Another account's prompt is a 404.
 */
export const createPromptsService = (deps: PromptsServiceDeps) => {
  const { db } = deps;

  const get = async (accountId: string, id: string): Promise<Prompt> => {
    const p = await findPrompt(db, accountId, id);
    if (!p) throw new NotFoundError('prompt');
    return p;
  };

  const create = async (accountId: string, input: PromptInput): Promise<Prompt> =>
    withTransaction(db, async (tx) => {
      const { id } = await insertPrompt(tx, accountId, input.name).catch(nameTaken);
      await insertPromptVersion(tx, { promptId: id, accountId, version: 1, text: input.text, settings: input.settings });
      return (await findPrompt(tx, accountId, id))!;
    });

  /** Replaces name, text and settings: version + 1 (an identical body still makes a version, like workflows). */
  const update = async (accountId: string, id: string, input: PromptInput): Promise<Prompt> =>
    withTransaction(db, async (tx) => {
      const cur = await findPrompt(tx, accountId, id, true);
      if (!cur) throw new NotFoundError('prompt');
      const version = cur.version + 1;
      await insertPromptVersion(tx, { promptId: id, accountId, version, text: input.text, settings: input.settings });
      await bumpPrompt(tx, id, input.name, version).catch(nameTaken);
      return (await findPrompt(tx, accountId, id))!;
    });

  const remove = async (accountId: string, id: string): Promise<void> => {
    if (!(await softDeletePrompt(db, accountId, id))) throw new NotFoundError('prompt');
  };

  const list = (accountId: string, q: PageQuery): Promise<Page<Prompt>> => listPrompts(db, accountId, q);

  /** Every version, oldest first. */
  const listVersions = async (accountId: string, id: string): Promise<PromptVersion[]> => {
    await get(accountId, id);
    return listPromptVersions(db, accountId, id);
  };

  const getVersion = async (accountId: string, id: string, version: number): Promise<PromptVersion> => {
    await get(accountId, id);
    const v = await findPromptVersion(db, accountId, id, version);
    if (!v) throw new NotFoundError('prompt version');
    return v;
  };

  /**
   * For workflows: the version to pin (`version`, else the current one) of a prompt of this
   * account that is not deleted; null when there is no such prompt or version.
   */
  const resolve = async (accountId: string, id: string, version?: number): Promise<ResolvedPrompt | null> => {
    const p = await findPrompt(db, accountId, id);
    if (!p) return null;
    const v = version === undefined || version === p.version ? p : await findPromptVersion(db, accountId, id, version);
    return v ? { promptId: p.id, name: p.name, version: v.version, text: v.text, settings: v.settings } : null;
  };

  return { create, get, list, update, remove, listVersions, getVersion, resolve };
};
export type PromptsService = ReturnType<typeof createPromptsService>;
