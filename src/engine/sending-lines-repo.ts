import { isUuid, type Queryable } from '../db/db.js';
import { chooseSendingLine, requestedLineIds, type LineCandidate, type LineRequest } from './sending-line.js';

/** A line a send can go out on, with what the rule of sending-line.ts needs to choose it. */
export type AccountLine = LineCandidate & { phoneNumber: string };

/** `created_at` in microseconds (of the lines row named `t`, or unqualified). */
const createdUs = (t = '') => `(extract(epoch FROM ${t}created_at) * 1000000)::bigint`;
const COLUMNS = `id, phone_number, mode, ${createdUs()} AS created_us`;

const toAccountLine = (r: Record<string, unknown>): AccountLine => ({
  id: r.id as string, phoneNumber: r.phone_number as string, mode: r.mode as string, createdAtMicros: Number(r.created_us),
});

/**
 * Every line of the account, oldest first, as one JSON column of another statement (`accountIdSql`:
 * the account id's expression there): the planner reads them with the activation, in one round
 * trip, and chooses among them for each action. `toAccountLines` reads the column back.
 */
export const accountLinesJsonSql = (accountIdSql: string) =>
  `(SELECT COALESCE(json_agg(json_build_object('id', l.id, 'phone_number', l.phone_number, 'mode', l.mode,
            'created_us', ${createdUs('l.')}) ORDER BY l.created_at, l.id), '[]'::json)
      FROM lines l WHERE l.account_id = ${accountIdSql})`;
export const toAccountLines = (json: unknown): AccountLine[] => (json as Array<Record<string, unknown>>).map(toAccountLine);

/**
 * The only lines the rule can choose for a send: those with these ids (another account's are not
 * returned; an id that is not a uuid matches nothing), the account's oldest activation-mode line
 * and its oldest line of any mode.
 */
export const sendingLineCandidates = async (q: Queryable, accountId: string, ids: string[]): Promise<AccountLine[]> => {
  const res = await q.query(
    `SELECT ${COLUMNS} FROM lines
      WHERE account_id = $1
        AND (id = ANY($2::uuid[])
          OR id = (SELECT id FROM lines WHERE account_id = $1 AND mode = 'activation' ORDER BY created_at, id LIMIT 1)
          OR id = (SELECT id FROM lines WHERE account_id = $1 ORDER BY created_at, id LIMIT 1))`,
    [accountId, ids.filter(isUuid)],
  );
  return res.rows.map(toAccountLine);
};

/**
 * The line a rule, sequence or call-tracking send goes out on (src/engine/sending-line.ts: the
 * line named, else the preferred one, else the oldest activation line, else the oldest line);
 * null when there is none, or when the named line is not the account's.
 */
export const findSendingLine = async (q: Queryable, accountId: string, req: LineRequest): Promise<AccountLine | null> =>
  chooseSendingLine(await sendingLineCandidates(q, accountId, requestedLineIds(req)), req);

export const sendingLinesRepo = { sendingLineCandidates, findSendingLine };
export type SendingLinesRepo = typeof sendingLinesRepo;
