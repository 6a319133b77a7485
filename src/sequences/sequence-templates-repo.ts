import type { Queryable } from '../db/db.js';
import type { SequenceInput } from './sequence-types.js';

/** An account's own sequence template (the built-in ones live in sequence-templates.ts). */
export type CustomTemplate = {
  id: string;
  accountId: string;
  name: string;
  description: string;
  definition: SequenceInput;
  createdAt: Date;
  updatedAt: Date;
};

type Row = Record<string, any>;
const toTemplate = (r: Row): CustomTemplate => ({
  id: r.id, accountId: r.account_id, name: r.name, description: r.description, definition: r.definition, createdAt: r.created_at, updatedAt: r.updated_at,
});

export const listCustomTemplates = async (q: Queryable, accountId: string): Promise<CustomTemplate[]> => {
  const res = await q.query('SELECT * FROM sequence_templates WHERE account_id = $1 ORDER BY created_at, id', [accountId]);
  return res.rows.map(toTemplate);
};

export const findCustomTemplate = async (q: Queryable, accountId: string, id: string): Promise<CustomTemplate | null> => {
  const res = await q.query('SELECT * FROM sequence_templates WHERE account_id = $1 AND id = $2', [accountId, id]);
  return res.rows[0] ? toTemplate(res.rows[0]) : null;
};

export const insertCustomTemplate = async (q: Queryable, accountId: string, t: { name: string; description: string; definition: SequenceInput }): Promise<CustomTemplate> => {
  const res = await q.query(
    'INSERT INTO sequence_templates (account_id, name, description, definition) VALUES ($1, $2, $3, $4) RETURNING *',
    [accountId, t.name, t.description, JSON.stringify(t.definition)],
  );
  return toTemplate(res.rows[0]);
};

export const updateCustomTemplate = async (q: Queryable, accountId: string, id: string, t: { name: string; description: string; definition: SequenceInput }): Promise<CustomTemplate | null> => {
  const res = await q.query(
    `UPDATE sequence_templates SET name = $3, description = $4, definition = $5, updated_at = now()
      WHERE account_id = $1 AND id = $2 RETURNING *`,
    [accountId, id, t.name, t.description, JSON.stringify(t.definition)],
  );
  return res.rows[0] ? toTemplate(res.rows[0]) : null;
};

export const deleteCustomTemplate = async (q: Queryable, accountId: string, id: string): Promise<boolean> => {
  const res = await q.query('DELETE FROM sequence_templates WHERE account_id = $1 AND id = $2', [accountId, id]);
  return (res.rowCount ?? 0) > 0;
};

export const sequenceTemplatesRepo = {
  listCustomTemplates, findCustomTemplate, insertCustomTemplate, updateCustomTemplate, deleteCustomTemplate,
};
export type SequenceTemplatesRepo = typeof sequenceTemplatesRepo;
