import type { Queryable } from '../db/db.js';
import { cursorColumn, pageClause, toPage, type Page, type PageQuery } from '../db/pagination.js';
import type { Prompt, PromptSettings, PromptVersion } from './prompt-types.js';

type Row = Record<string, any>;

const toPrompt = (r: Row): Prompt => ({
  id: r.id, name: r.name, version: r.current_version, text: r.text, settings: r.settings ?? {}, createdAt: r.created_at, updatedAt: r.updated_at,
});
const toVersion = (r: Row): PromptVersion => ({ version: r.version, text: r.text, settings: r.settings ?? {}, createdAt: r.created_at });

const SELECT = `SELECT p.id, p.name, p.current_version, p.created_at, p.updated_at, v.text, v.settings
                  FROM prompts p JOIN prompt_versions v ON v.prompt_id = p.id AND v.version = p.current_version`;

/** The prompt (not deleted) in this account; `lock` for an edit. */
export const findPrompt = async (q: Queryable, accountId: string, id: string, lock = false): Promise<Prompt | null> => {
  const res = await q.query(`${SELECT} WHERE p.account_id = $1 AND p.id = $2 AND p.deleted_at IS NULL${lock ? ' FOR UPDATE OF p' : ''}`, [accountId, id]);
  return res.rows[0] ? toPrompt(res.rows[0]) : null;
};

export const listPrompts = async (q: Queryable, accountId: string, page: PageQuery): Promise<Page<Prompt>> => {
  const params: unknown[] = [accountId];
  const res = await q.query(`${SELECT.replace('v.settings', `v.settings, ${cursorColumn('p')}`)} WHERE p.account_id = $1 AND p.deleted_at IS NULL ${pageClause(page, params, 'p')}`, params);
  return toPage(res.rows, page, toPrompt);
};

export const insertPrompt = async (q: Queryable, accountId: string, name: string): Promise<{ id: string }> => {
  const res = await q.query('INSERT INTO prompts (account_id, name) VALUES ($1, $2) RETURNING id', [accountId, name]);
  return res.rows[0];
};

/** Renames and moves the prompt to `version` (the caller inserted it). */
export const bumpPrompt = async (q: Queryable, id: string, name: string, version: number): Promise<void> => {
  await q.query('UPDATE prompts SET name = $2, current_version = $3, updated_at = now() WHERE id = $1', [id, name, version]);
};

export const insertPromptVersion = async (q: Queryable, v: { promptId: string; accountId: string; version: number; text: string; settings: PromptSettings }): Promise<void> => {
  await q.query('INSERT INTO prompt_versions (prompt_id, account_id, version, text, settings) VALUES ($1, $2, $3, $4, $5)',
    [v.promptId, v.accountId, v.version, v.text, JSON.stringify(v.settings)]);
};

export const softDeletePrompt = async (q: Queryable, accountId: string, id: string): Promise<boolean> => {
  const res = await q.query('UPDATE prompts SET deleted_at = now(), updated_at = now() WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL', [accountId, id]);
  return (res.rowCount ?? 0) > 0;
};

export const listPromptVersions = async (q: Queryable, accountId: string, promptId: string): Promise<PromptVersion[]> => {
  const res = await q.query('SELECT version, text, settings, created_at FROM prompt_versions WHERE account_id = $1 AND prompt_id = $2 ORDER BY version', [accountId, promptId]);
  return res.rows.map(toVersion);
};

/** A version of a prompt of this account (deleted prompts included: old workflow versions still name them). */
export const findPromptVersion = async (q: Queryable, accountId: string, promptId: string, version: number): Promise<PromptVersion | null> => {
  const res = await q.query('SELECT version, text, settings, created_at FROM prompt_versions WHERE account_id = $1 AND prompt_id = $2 AND version = $3', [accountId, promptId, version]);
  return res.rows[0] ? toVersion(res.rows[0]) : null;
};
