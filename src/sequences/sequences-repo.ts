import type { Queryable } from '../db/db.js';
import type { SequenceDefinition } from './sequence-types.js';

/** Sequences and their immutable versions. Plain rows in, plain camelCase objects out. */
export type Sequence = {
  id: string;
  accountId: string;
  name: string;
  description: string;
  status: 'active' | 'paused';
  allowReenrollment: boolean;
  currentVersion: number;
  templateKey: string | null;
  createdAt: Date;
  updatedAt: Date;
};

export type SequenceVersion = {
  id: string;
  sequenceId: string;
  accountId: string;
  version: number;
  definition: SequenceDefinition;
  createdAt: Date;
};

type Row = Record<string, any>;

export const toSequence = (r: Row): Sequence => ({
  id: r.id, accountId: r.account_id, name: r.name, description: r.description, status: r.status,
  allowReenrollment: r.allow_reenrollment, currentVersion: r.current_version, templateKey: r.template_key,
  createdAt: r.created_at, updatedAt: r.updated_at,
});

export const toVersion = (r: Row): SequenceVersion => ({
  id: r.id, sequenceId: r.sequence_id, accountId: r.account_id, version: r.version, definition: r.definition, createdAt: r.created_at,
});

export const insertSequence = async (q: Queryable, s: { accountId: string; name: string; description: string; allowReenrollment: boolean; templateKey?: string | null }): Promise<Sequence> => {
  const res = await q.query(
    `INSERT INTO sequences (account_id, name, description, allow_reenrollment, template_key) VALUES ($1,$2,$3,$4,$5) RETURNING *`,
    [s.accountId, s.name, s.description, s.allowReenrollment, s.templateKey ?? null],
  );
  return toSequence(res.rows[0]);
};

export const insertVersion = async (q: Queryable, v: { sequenceId: string; accountId: string; version: number; definition: SequenceDefinition }): Promise<SequenceVersion> => {
  const res = await q.query(
    `INSERT INTO sequence_versions (sequence_id, account_id, version, definition) VALUES ($1,$2,$3,$4) RETURNING *`,
    [v.sequenceId, v.accountId, v.version, JSON.stringify(v.definition)],
  );
  return toVersion(res.rows[0]);
};

/** The sequence (not deleted) in this account; `lock` takes a row lock for an edit. */
export const findSequence = async (q: Queryable, accountId: string, id: string, lock = false): Promise<Sequence | null> => {
  const res = await q.query(
    `SELECT * FROM sequences WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
    [accountId, id],
  );
  return res.rows[0] ? toSequence(res.rows[0]) : null;
};

export const findVersion = async (q: Queryable, sequenceId: string, version: number): Promise<SequenceVersion | null> => {
  const res = await q.query('SELECT * FROM sequence_versions WHERE sequence_id = $1 AND version = $2', [sequenceId, version]);
  return res.rows[0] ? toVersion(res.rows[0]) : null;
};

export const findVersionsById = async (q: Queryable, ids: string[]): Promise<SequenceVersion[]> => {
  if (ids.length === 0) return [];
  const res = await q.query('SELECT * FROM sequence_versions WHERE id = ANY($1::uuid[])', [ids]);
  return res.rows.map(toVersion);
};

export const listVersions = async (q: Queryable, accountId: string, sequenceId: string): Promise<SequenceVersion[]> => {
  const res = await q.query('SELECT * FROM sequence_versions WHERE account_id = $1 AND sequence_id = $2 ORDER BY version', [accountId, sequenceId]);
  return res.rows.map(toVersion);
};

export const updateSequenceRow = async (
  q: Queryable,
  accountId: string,
  id: string,
  patch: { name?: string; description?: string; allowReenrollment?: boolean; status?: 'active' | 'paused'; currentVersion?: number },
): Promise<Sequence> => {
  const res = await q.query(
    `UPDATE sequences SET name = COALESCE($3, name), description = COALESCE($4, description),
            allow_reenrollment = COALESCE($5, allow_reenrollment), status = COALESCE($6, status),
            current_version = COALESCE($7, current_version), updated_at = now()
      WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING *`,
    [accountId, id, patch.name ?? null, patch.description ?? null, patch.allowReenrollment ?? null, patch.status ?? null, patch.currentVersion ?? null],
  );
  return toSequence(res.rows[0]);
};

/** The account's sequences (not deleted), oldest first, each with its current version. */
export const listSequencesWithCurrent = async (q: Queryable, accountId: string): Promise<Array<{ sequence: Sequence; version: SequenceVersion }>> => {
  const res = await q.query(
    `SELECT s.*, v.id AS v_id, v.version AS v_version, v.definition AS v_definition, v.created_at AS v_created_at
       FROM sequences s JOIN sequence_versions v ON v.sequence_id = s.id AND v.version = s.current_version
      WHERE s.account_id = $1 AND s.deleted_at IS NULL ORDER BY s.created_at, s.id`,
    [accountId],
  );
  return res.rows.map((r) => ({
    sequence: toSequence(r),
    version: { id: r.v_id, sequenceId: r.id, accountId, version: r.v_version, definition: r.v_definition, createdAt: r.v_created_at },
  }));
};

export const softDeleteSequence = async (q: Queryable, id: string): Promise<void> => {
  await q.query('UPDATE sequences SET deleted_at = now(), updated_at = now() WHERE id = $1', [id]);
};

/** The ids among `ids` that are lines of this account (steps may name a line). */
export const existingLineIds = async (q: Queryable, accountId: string, ids: string[]): Promise<Set<string>> => {
  const res = await q.query('SELECT id FROM lines WHERE account_id = $1 AND id = ANY($2::uuid[])', [accountId, ids]);
  return new Set(res.rows.map((r) => r.id as string));
};

export const sequencesRepo = {
  insertSequence, insertVersion, findSequence, findVersion, findVersionsById, listVersions, updateSequenceRow, listSequencesWithCurrent,
  softDeleteSequence, existingLineIds,
};
export type SequencesRepo = typeof sequencesRepo;
