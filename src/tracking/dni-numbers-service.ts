/**
 * Dynamic Number Insertion, visitor side: which number a web page shows a visitor (the public
 * `GET /dni/number` the snippet asks), and which session a call to that number belongs to.
 *
 * A visitor is named by an id Switchboard mints and signs (HMAC under SECRET_KEY, bound to the
 * account), kept by the snippet for the session; a forged or foreign id is ignored and a new
 * one minted. The visitor keeps their number while they keep viewing pages (each view extends
 * the session by `sessionMinutes`); the source is chosen once, when the number is assigned.
 */
import { createHash, createHmac } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { randomToken, safeEqual } from '../crypto.js';
import { withTransaction, type Db } from '../db/db.js';
import type { Assignment, DniRepo } from './dni-repo.js';
import { CLICK_ID_TYPES, type DniMatch, type DniSettings, type Visit, type VisitorData, type VisitQuery } from './dni-types.js';

export type DniNumbersDeps = {
  db: Db;
  secretKey: string;
  dni: Pick<DniRepo,
    'findSettingsByKey' | 'insertAssignment' | 'pickPoolLine' | 'poolRules' | 'renewAssignment' | 'sessionForCall'>;
};

/** The answer to a page: the number (E.164 and as written nationally), or none when no pool applies. */
export type NumberAnswer = { number: string | null; display: string | null; visitor: string; expiresAt: Date | null; assignment: Assignment | null };

/** How a number is written on a page: the national format of its country, e.g. `(312) 555-0100`. */
export const displayNumber = (e164: string): string => parsePhoneNumberFromString(e164)?.formatNational() ?? e164;

const hostOf = (raw: string | undefined): string | null => {
  if (!raw) return null;
  try {
    const h = raw.includes('://') ? new URL(raw).hostname : raw.split('/')[0]!.split(':')[0]!;
    return /^[a-z0-9.-]{1,253}$/.test(h) ? h : null;
  } catch {
    return null;
  }
};

/** The page the visitor landed on, without its query or fragment (they may carry personal data). */
const landingPage = (raw: string | undefined): string | null => {
  if (!raw) return null;
  try {
    const u = new URL(raw);
    return /^https?:$/.test(u.protocol) ? `${u.origin}${u.pathname}` : null;
  } catch {
    return null;
  }
};

const orNull = (s: string | undefined): string | null => (s ? s : null);

export const visitOf = (q: VisitQuery): Visit => {
  const clickIdType = CLICK_ID_TYPES.find((t) => !!q[t]) ?? null;
  return {
    utmSource: orNull(q.utm_source), utmMedium: orNull(q.utm_medium), utmCampaign: orNull(q.utm_campaign),
    referrerHost: hostOf(q.referrer), clickIdType, clickId: clickIdType ? q[clickIdType]! : null, landingPage: landingPage(q.page),
  };
};

type PoolRule = { id: string; source: string; isDefault: boolean; match: DniMatch };

/** utm_source first, then the click id's type, then the referrer host (or a subdomain of it), then the default pool. */
export const choosePool = (pools: PoolRule[], v: Visit): PoolRule | null => {
  const utm = v.utmSource?.toLowerCase();
  const ref = v.referrerHost;
  return (utm ? pools.find((p) => p.match.utmSources.includes(utm)) : undefined)
    ?? (v.clickIdType ? pools.find((p) => p.match.clickIds.includes(v.clickIdType!)) : undefined)
    ?? (ref ? pools.find((p) => p.match.referrerHosts.some((h) => ref === h || ref.endsWith(`.${h}`))) : undefined)
    ?? pools.find((p) => p.isDefault)
    ?? null;
};

export const createDniNumbersService = (deps: DniNumbersDeps) => {
  const { db } = deps;
  const signingKey = createHash('sha256').update(`switchboard:dni-visitor:${deps.secretKey}`).digest();
  const sign = (accountId: string, id: string) => createHmac('sha256', signingKey).update(`${accountId}.${id}`).digest('base64url').slice(0, 27);
  const mint = (accountId: string) => {
    const id = randomToken(16);
    return `${id}.${sign(accountId, id)}`;
  };
  /** The visitor id inside a token this account minted; null for anything else. */
  const verify = (accountId: string, token: string | undefined): string | null => {
    const [id, sig, extra] = (token ?? '').split('.');
    if (!id || !sig || extra !== undefined || !/^[A-Za-z0-9_-]{10,64}$/.test(id)) return null;
    return safeEqual(sig, sign(accountId, id)) ? id : null;
  };

  return {
    /** The settings behind a public key, or null (unknown or rotated key). */
    settingsForKey: (publicKey: string): Promise<DniSettings | null> => deps.dni.findSettingsByKey(db, publicKey),

    /**
     * The visitor's number: their live assignment (extended), else a new one from the pool their
     * visit matches; with no free number, the pool's least recently assigned one is reused and
     * the assignment says so. Only the account's own pools are ever read.
     */
    async numberFor(settings: DniSettings, q: VisitQuery): Promise<NumberAnswer> {
      const accountId = settings.accountId;
      const known = verify(accountId, q.visitor);
      const token = known ? q.visitor! : mint(accountId);
      const visitorId = token.split('.')[0]!;
      const answer = (a: Assignment | null): NumberAnswer => ({
        number: a?.phoneNumber ?? null, display: a ? displayNumber(a.phoneNumber) : null, visitor: token, expiresAt: a?.expiresAt ?? null, assignment: a,
      });
      if (known) {
        const live = await deps.dni.renewAssignment(db, accountId, visitorId, settings.sessionMinutes);
        if (live) return answer(live);
      }
      const visit = visitOf(q);
      const pool = choosePool(await deps.dni.poolRules(db, accountId), visit);
      if (!pool) return answer(null);
      const assigned = await withTransaction(db, async (tx) => {
        const line = await deps.dni.pickPoolLine(tx, pool.id);
        if (!line) return null;
        return deps.dni.insertAssignment(tx, {
          accountId, poolId: pool.id, lineId: line.lineId, phoneNumber: line.phoneNumber, visitorId, source: pool.source,
          visit, reused: line.busy, minutes: settings.sessionMinutes,
        });
      });
      return answer(assigned);
    },

    /** The web session a call to a pool number belongs to: its source and visitor data, or null (not a DNI call). */
    async attribute(accountId: string, lineId: string, at: Date): Promise<{ source: string; assignmentId: string; visitor: VisitorData } | null> {
      const a = await deps.dni.sessionForCall(db, accountId, lineId, at);
      if (!a) return null;
      return {
        source: a.source,
        assignmentId: a.id,
        visitor: { ...a.visit, visitorId: a.visitorId, assignmentId: a.id, assignedAt: a.assignedAt.toISOString(), reused: a.reused },
      };
    },
  };
};

export type DniNumbersService = ReturnType<typeof createDniNumbersService>;
