import { mapPgError, withTransaction, type Db, type Queryable } from '../db/db.js';
import { cursorColumn, pageClause, toPage, type Page, type PageQuery } from '../db/pagination.js';
import { AppError, ConflictError, NotFoundError, ValidationError, fromZod } from '../errors.js';
import { lineSettingsSchema, type LineSettings } from './line-settings.js';

/** A Twilio Messaging Service SID, as Twilio writes it. */
export const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
export const MESSAGING_SERVICE_HINT = 'must be a Twilio Messaging Service SID: MG followed by 32 hexadecimal characters';

/** Spoken when someone calls an activation line (the column's default too). */
export const DEFAULT_GREETING = 'Welcome to Switchboard. Please enter your four character code.';

export type Line = {
  id: string;
  phoneNumber: string;
  name: string;
  provider: 'twilio' | 'simulator';
  carrierConnectionId: string | null;
  /** Twilio lines only: texts go out through this Messaging Service (`MG…`) instead of from the number. */
  messagingServiceSid: string | null;
  mode: 'activation' | 'tracking';
  greeting: string;
  settings: LineSettings;
  createdAt: Date;
  updatedAt: Date;
};

/** Already-normalised input (the route's zod schema turns numbers into E.164). */
export type LineInput = {
  phoneNumber: string;
  name?: string;
  provider: 'twilio' | 'simulator';
  carrierConnectionId?: string | null;
  messagingServiceSid?: string | null;
  mode?: 'activation' | 'tracking';
  greeting?: string;
  settings?: LineSettings;
};
export type LinePatch = Partial<Omit<LineInput, 'phoneNumber'>> & { phoneNumber?: string };

/** How a workflow uses a line. */
export type LineUse = 'code_activation' | 'conference' | 'pager';
export type LinkedWorkflow = { id: string; name: string; status: string; uses: LineUse[] };

export const toLine = (r: Record<string, any>): Line => ({
  id: r.id, phoneNumber: r.phone_number, name: r.name, provider: r.provider, carrierConnectionId: r.carrier_connection_id,
  messagingServiceSid: r.messaging_service_sid ?? null,
  mode: r.mode, greeting: r.greeting, settings: r.settings, createdAt: r.created_at, updatedAt: r.updated_at,
});

const numberTaken = () =>
  new ConflictError('phoneNumber: this number already belongs to a line', 'conflict', [{ path: 'phoneNumber', message: 'already belongs to a line' }]);

export type LinesServiceDeps = { db: Db };

/** Phone lines: numbers are unique across all accounts (inbound webhooks find the line by number). */
export const createLinesService = (deps: LinesServiceDeps) => {
  const { db } = deps;

  const get = async (accountId: string, id: string, q: Queryable = db): Promise<Line> => {
    const res = await q.query('SELECT * FROM lines WHERE account_id = $1 AND id = $2', [accountId, id]);
    if (!res.rows[0]) throw new NotFoundError('line');
    return toLine(res.rows[0]);
  };

  const list = async (accountId: string, q: PageQuery): Promise<Page<Line>> => {
    const params: unknown[] = [accountId];
    const res = await db.query(`SELECT *, ${cursorColumn()} FROM lines WHERE account_id = $1 ${pageClause(q, params)}`, params);
    return toPage(res.rows, q, toLine);
  };

  const checkCarrier = async (q: Queryable, accountId: string, provider: string, connectionId: string | null | undefined) => {
    if (provider === 'simulator') {
      if (connectionId) throw ValidationError.field('carrierConnectionId', 'simulator lines take no carrier connection');
      return;
    }
    if (!connectionId) throw ValidationError.field('carrierConnectionId', 'is required for provider twilio');
    const res = await q.query('SELECT 1 FROM carrier_connections WHERE account_id = $1 AND id = $2', [accountId, connectionId]);
    if (!res.rowCount) throw ValidationError.field('carrierConnectionId', 'no such carrier connection in this account');
  };

  const checkMessagingService = (provider: string, sid: string | null | undefined) => {
    if (sid && provider !== 'twilio') throw ValidationError.field('messagingServiceSid', 'only twilio lines send through a Messaging Service');
    if (sid && !MESSAGING_SERVICE_SID.test(sid)) throw ValidationError.field('messagingServiceSid', MESSAGING_SERVICE_HINT);
  };

  const validSettings = (settings: unknown): LineSettings => {
    const parsed = lineSettingsSchema.safeParse(settings ?? {});
    if (!parsed.success) throw fromZod(parsed.error, 'settings');
    // null removes the line's own pace (back to the server default): not stored.
    const { smsPerSecond, callsPerSecond, ...rest } = parsed.data;
    return { ...rest, ...(smsPerSecond != null ? { smsPerSecond } : {}), ...(callsPerSecond != null ? { callsPerSecond } : {}) };
  };

  const create = async (accountId: string, input: LineInput): Promise<Line> => {
    await checkCarrier(db, accountId, input.provider, input.carrierConnectionId);
    checkMessagingService(input.provider, input.messagingServiceSid);
    const settings = validSettings(input.settings);
    const res = await db
      .query(
        `INSERT INTO lines (account_id, phone_number, name, provider, carrier_connection_id, mode, greeting, settings, messaging_service_sid)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING *`,
        [accountId, input.phoneNumber, input.name ?? '', input.provider, input.carrierConnectionId ?? null, input.mode ?? 'activation',
          input.greeting ?? DEFAULT_GREETING, JSON.stringify(settings), input.messagingServiceSid ?? null],
      )
      .catch(mapLineError);
    return toLine(res.rows[0]);
  };

  /** Settings are merged key by key with the stored ones (`tracking` is replaced as a whole). */
  const update = async (accountId: string, id: string, patch: LinePatch): Promise<Line> =>
    withTransaction(db, async (tx) => {
      const cur = await tx.query('SELECT * FROM lines WHERE account_id = $1 AND id = $2 FOR UPDATE', [accountId, id]);
      if (!cur.rows[0]) throw new NotFoundError('line');
      const line = toLine(cur.rows[0]);
      const provider = patch.provider ?? line.provider;
      const connectionId = patch.carrierConnectionId !== undefined ? patch.carrierConnectionId : provider === 'simulator' && patch.provider ? null : line.carrierConnectionId;
      await checkCarrier(tx, accountId, provider, connectionId);
      // Like the carrier connection, a Messaging Service goes when the line moves to the simulator.
      const serviceSid = patch.messagingServiceSid !== undefined ? patch.messagingServiceSid : provider === 'simulator' ? null : line.messagingServiceSid;
      checkMessagingService(provider, serviceSid);
      const settings = validSettings({ ...line.settings, ...(patch.settings ?? {}) });
      const res = await tx
        .query(
          `UPDATE lines SET phone_number = $3, name = $4, provider = $5, carrier_connection_id = $6, mode = $7, greeting = $8,
                  settings = $9, messaging_service_sid = $10, updated_at = now()
            WHERE id = $1 AND account_id = $2 RETURNING *`,
          [id, accountId, patch.phoneNumber ?? line.phoneNumber, patch.name ?? line.name, provider, connectionId ?? null,
            patch.mode ?? line.mode, patch.greeting ?? line.greeting, JSON.stringify(settings), serviceSid ?? null],
        )
        .catch(mapLineError);
      return toLine(res.rows[0]);
    });

  /** Workflows (not deleted) whose current version uses the line, and how. */
  const linkedWorkflows = async (accountId: string, id: string, q: Queryable = db): Promise<LinkedWorkflow[]> => {
    await get(accountId, id, q);
    const res = await q.query(
      `SELECT w.id, w.name, w.status,
              (w.code_line_id = $2) AS code,
              EXISTS (SELECT 1 FROM workflow_conference_lines c WHERE c.line_id = $2 AND c.workflow_id = w.id) AS conference,
              (v.definition->'actions') @> jsonb_build_array(jsonb_build_object('type', 'pager', 'lineId', $2::text)) AS pager
         FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
        WHERE w.account_id = $1 AND w.deleted_at IS NULL
          AND (w.code_line_id = $2
               OR EXISTS (SELECT 1 FROM workflow_conference_lines c WHERE c.line_id = $2 AND c.workflow_id = w.id)
               OR (v.definition->'actions') @> jsonb_build_array(jsonb_build_object('type', 'pager', 'lineId', $2::text)))
        ORDER BY w.created_at, w.id`,
      [accountId, id],
    );
    return res.rows.map((r) => ({
      id: r.id, name: r.name, status: r.status,
      uses: [r.code && 'code_activation', r.conference && 'conference', r.pager && 'pager'].filter(Boolean) as LineUse[],
    }));
  };

  /** Refuses (409, listing them) while workflows use the line. */
  const remove = async (accountId: string, id: string): Promise<void> =>
    withTransaction(db, async (tx) => {
      const cur = await tx.query('SELECT id FROM lines WHERE account_id = $1 AND id = $2 FOR UPDATE', [accountId, id]);
      if (!cur.rows[0]) throw new NotFoundError('line');
      const used = await linkedWorkflows(accountId, id, tx);
      if (used.length > 0) {
        throw new ConflictError(`workflows use this line: ${used.map((w) => w.name).join(', ')}`, 'line_in_use', { workflows: used });
      }
      await tx.query('DELETE FROM lines WHERE id = $1', [id]);
    });

  return { get, list, create, update, remove, linkedWorkflows };
};

const mapLineError = (err: unknown): never => {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'lines_phone_uniq') throw numberTaken();
  if (e.code === '23503') throw new AppError('invalid_reference', 'carrierConnectionId: no such carrier connection', { status: 400, details: [{ path: 'carrierConnectionId', message: 'no such carrier connection' }] });
  return mapPgError(err);
};

export type LinesService = ReturnType<typeof createLinesService>;
