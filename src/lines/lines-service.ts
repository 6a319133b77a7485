import { withTransaction, type Db, type Queryable } from '../db/db.js';
import type { Page, PageQuery } from '../db/pagination.js';
import { ConflictError, NotFoundError, ValidationError, fromZod } from '../errors.js';
import { lineSettingsSchema, type LineSettings } from './line-settings.js';
import type { Line, LinesRepo, LinkedWorkflow } from './lines-repo.js';

export type { Line, LineUse, LinkedWorkflow } from './lines-repo.js';

/** A Twilio Messaging Service SID, as Twilio writes it. */
export const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
export const MESSAGING_SERVICE_HINT = 'must be a Twilio Messaging Service SID: MG followed by 32 hexadecimal characters';

/** Spoken when someone calls an activation line (the column's default too). */
export const DEFAULT_GREETING = 'Welcome to Switchboard. Please enter your four character code.';

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

export type LinesServiceDeps = {
  db: Db;
  lines: Pick<LinesRepo, 'findLine' | 'listLines' | 'carrierConnectionExists' | 'insertLine' | 'updateLine' | 'workflowsUsingLine' | 'deleteLine'>;
};

/** Phone lines: numbers are unique across all accounts (inbound webhooks find the line by number). */
export const createLinesService = (deps: LinesServiceDeps) => {
  const { db, lines: repo } = deps;

  const get = async (accountId: string, id: string, q: Queryable = db): Promise<Line> => {
    const line = await repo.findLine(q, accountId, id);
    if (!line) throw new NotFoundError('line');
    return line;
  };

  const list = async (accountId: string, q: PageQuery): Promise<Page<Line>> => repo.listLines(db, accountId, q);

  const checkCarrier = async (q: Queryable, accountId: string, provider: string, connectionId: string | null | undefined) => {
    if (provider === 'simulator') {
      if (connectionId) throw ValidationError.field('carrierConnectionId', 'simulator lines take no carrier connection');
      return;
    }
    if (!connectionId) throw ValidationError.field('carrierConnectionId', 'is required for provider twilio');
    if (!(await repo.carrierConnectionExists(q, accountId, connectionId))) throw ValidationError.field('carrierConnectionId', 'no such carrier connection in this account');
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
    return repo.insertLine(db, accountId, {
      phoneNumber: input.phoneNumber, name: input.name ?? '', provider: input.provider, carrierConnectionId: input.carrierConnectionId ?? null,
      mode: input.mode ?? 'activation', greeting: input.greeting ?? DEFAULT_GREETING, settings, messagingServiceSid: input.messagingServiceSid ?? null,
    });
  };

  /** Settings are merged key by key with the stored ones (`tracking` is replaced as a whole). */
  const update = async (accountId: string, id: string, patch: LinePatch): Promise<Line> =>
    withTransaction(db, async (tx) => {
      const line = await repo.findLine(tx, accountId, id, true);
      if (!line) throw new NotFoundError('line');
      const provider = patch.provider ?? line.provider;
      const connectionId = patch.carrierConnectionId !== undefined ? patch.carrierConnectionId : provider === 'simulator' && patch.provider ? null : line.carrierConnectionId;
      await checkCarrier(tx, accountId, provider, connectionId);
      // Like the carrier connection, a Messaging Service goes when the line moves to the simulator.
      const serviceSid = patch.messagingServiceSid !== undefined ? patch.messagingServiceSid : provider === 'simulator' ? null : line.messagingServiceSid;
      checkMessagingService(provider, serviceSid);
      const settings = validSettings({ ...line.settings, ...(patch.settings ?? {}) });
      return repo.updateLine(tx, accountId, id, {
        phoneNumber: patch.phoneNumber ?? line.phoneNumber, name: patch.name ?? line.name, provider, carrierConnectionId: connectionId ?? null,
        mode: patch.mode ?? line.mode, greeting: patch.greeting ?? line.greeting, settings, messagingServiceSid: serviceSid ?? null,
      });
    });

  /** Workflows (not deleted) whose current version uses the line, and how. */
  const linkedWorkflows = async (accountId: string, id: string, q: Queryable = db): Promise<LinkedWorkflow[]> => {
    await get(accountId, id, q);
    return repo.workflowsUsingLine(q, accountId, id);
  };

  /** Refuses (409, listing them) while workflows use the line. */
  const remove = async (accountId: string, id: string): Promise<void> =>
    withTransaction(db, async (tx) => {
      if (!(await repo.findLine(tx, accountId, id, true))) throw new NotFoundError('line');
      const used = await linkedWorkflows(accountId, id, tx);
      if (used.length > 0) {
        throw new ConflictError(`workflows use this line: ${used.map((w) => w.name).join(', ')}`, 'line_in_use', { workflows: used });
      }
      await repo.deleteLine(tx, id);
    });

  return { get, list, create, update, remove, linkedWorkflows };
};

export type LinesService = ReturnType<typeof createLinesService>;
