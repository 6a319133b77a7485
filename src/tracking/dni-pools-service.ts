/**
 * Dynamic Number Insertion, account side (`/v1/tracking-pools`, `/v1/dni`): number pools per
 * source and the account's DNI settings with its public key. Every line a pool names must be one
 * of the account's tracking lines and in no other pool: a bad one is a 400 naming `lineIds.N`
 * (another account's line reads as unknown, so nothing leaks); another account's pool is a 404.
 */
import { randomToken } from '../crypto.js';
import { mapPgError, withTransaction, type Db, type Queryable } from '../db/db.js';
import { NotFoundError, ValidationError, fromZod, type FieldIssue } from '../errors.js';
import type { DniRepo, PoolRow } from './dni-repo.js';
import { dniPoolInputSchema, dniSettingsInputSchema, type DniPool, type DniPoolInput, type DniSettings } from './dni-types.js';

const TAKEN = {
  dni_pools_source_uniq: 'source: a pool for this source already exists',
  dni_pools_default_uniq: 'default: the account already has a default pool',
  dni_pool_lines_pkey: 'lineIds: a line is already in another pool',
};

/** A public DNI key: names the account to the snippet, reveals nothing else. */
export const newDniKey = (): string => `dni_${randomToken(18)}`;

/** The `<script>` tag a site embeds: served by this Switchboard (`web/dni.js`), no third-party CDN. */
export const dniSnippet = (publicUrl: string, key: string): string => `<script src="${publicUrl}/dni.js?key=${encodeURIComponent(key)}" async></script>`;

/** `publicUrl`: PUBLIC_URL, where sites load the snippet from. */
export type DniPoolsDeps = {
  db: Db;
  publicUrl: string;
  dni: Pick<DniRepo,
    | 'deletePool' | 'ensureSettings' | 'findPool' | 'insertPool' | 'linesForPool' | 'listPools'
    | 'setKey' | 'setPoolLines' | 'updatePool' | 'updateSettings'>;
};

/** The settings as the API shows them, with the snippet to copy. */
export type DniSettingsView = DniSettings & { snippet: string };

export const createDniPoolsService = (deps: DniPoolsDeps) => {
  const { db } = deps;
  const view = (s: DniSettings): DniSettingsView => ({ ...s, snippet: dniSnippet(deps.publicUrl, s.publicKey) });

  const parse = (body: unknown): DniPoolInput => {
    const r = dniPoolInputSchema.safeParse(body ?? {});
    if (!r.success) throw fromZod(r.error);
    return r.data;
  };

  const toRow = (p: DniPoolInput): PoolRow => ({
    source: p.source,
    isDefault: p.default,
    match: {
      // A source's pool matches its own name as utm_source unless told otherwise; the default pool matches nothing itself.
      utmSources: p.match.utmSources ?? (p.default ? [] : [p.source.toLowerCase()]),
      clickIds: p.match.clickIds,
      referrerHosts: p.match.referrerHosts,
    },
  });

  const checkLines = async (q: Queryable, accountId: string, p: DniPoolInput, poolId: string | null): Promise<void> => {
    const found = new Map((await deps.dni.linesForPool(q, accountId, p.lineIds)).map((l) => [l.id, l]));
    const issues: FieldIssue[] = [];
    p.lineIds.forEach((id, i) => {
      const l = found.get(id);
      if (!l) issues.push({ path: `lineIds.${i}`, message: 'no such line in this account' });
      else if (l.mode !== 'tracking') issues.push({ path: `lineIds.${i}`, message: 'is not a tracking line (mode "tracking")' });
      else if (l.poolId && l.poolId !== poolId) issues.push({ path: `lineIds.${i}`, message: 'is already in another pool' });
    });
    if (issues.length > 0) throw new ValidationError(issues.map((x) => `${x.path}: ${x.message}`).join('; '), issues);
  };

  const get = async (accountId: string, id: string): Promise<DniPool> => {
    const pool = await deps.dni.findPool(db, accountId, id);
    if (!pool) throw new NotFoundError('tracking pool');
    return pool;
  };

  return {
    list: (accountId: string): Promise<DniPool[]> => deps.dni.listPools(db, accountId),
    get,

    /** Validates (400 naming each bad field; 409 for a taken source or a second default) and stores a pool. */
    async create(accountId: string, body: unknown): Promise<DniPool> {
      const input = parse(body);
      const id = await withTransaction(db, async (tx) => {
        await checkLines(tx, accountId, input, null);
        const poolId = await deps.dni.insertPool(tx, accountId, toRow(input));
        await deps.dni.setPoolLines(tx, accountId, poolId, input.lineIds);
        return poolId;
      }).catch((err) => mapPgError(err, TAKEN));
      return get(accountId, id);
    },

    /** Replaces the pool; sessions already assigned keep their number until they expire, if it stays in the pool. */
    async replace(accountId: string, id: string, body: unknown): Promise<DniPool> {
      const input = parse(body);
      await withTransaction(db, async (tx) => {
        if (!(await deps.dni.findPool(tx, accountId, id))) throw new NotFoundError('tracking pool');
        await checkLines(tx, accountId, input, id);
        await deps.dni.updatePool(tx, accountId, id, toRow(input));
        await deps.dni.setPoolLines(tx, accountId, id, input.lineIds);
      }).catch((err) => mapPgError(err, TAKEN));
      return get(accountId, id);
    },

    async remove(accountId: string, id: string): Promise<void> {
      if (!(await deps.dni.deletePool(db, accountId, id))) throw new NotFoundError('tracking pool');
    },

    /** The account's settings and snippet, its public key minted on first use. */
    settings: async (accountId: string): Promise<DniSettingsView> =>
      view(await deps.dni.ensureSettings(db, accountId, newDniKey())),

    async updateSettings(accountId: string, body: unknown): Promise<DniSettingsView> {
      const r = dniSettingsInputSchema.safeParse(body ?? {});
      if (!r.success) throw fromZod(r.error);
      await deps.dni.ensureSettings(db, accountId, newDniKey());
      await deps.dni.updateSettings(db, accountId, r.data);
      return view(await deps.dni.ensureSettings(db, accountId, newDniKey()));
    },

    /** A new public key: pages still embedding the old one get 404s and keep their own numbers. */
    async rotateKey(accountId: string): Promise<DniSettingsView> {
      await deps.dni.ensureSettings(db, accountId, newDniKey());
      await deps.dni.setKey(db, accountId, newDniKey());
      return view(await deps.dni.ensureSettings(db, accountId, newDniKey()));
    },
  };
};

export type DniPoolsService = ReturnType<typeof createDniPoolsService>;
