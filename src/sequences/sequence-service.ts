import { mapPgError, withTransaction, type Db, type Queryable } from '../db/db.js';
import type { SecretBox } from '../crypto.js';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../errors.js';
import { savedSmsIssue } from '../templates/sms-text.js';
import { webhookUrlIssues } from '../webhooks/ssrf-policy.js';
import type { EnrollmentsRepo } from './enrollments-repo.js';
import type { Sequence, SequencesRepo, SequenceVersion } from './sequences-repo.js';
import { normalizeDefinition, stepSchema, type SequenceDefinition, type SequenceInput, type Step } from './sequence-types.js';

/** A sequence as the API shows it: its current version's steps and exits, secrets masked. */
export type SequenceView = Sequence & { lineId: string | null; steps: Array<Record<string, unknown>>; exits: SequenceDefinition['exits'] };

export type SequenceServiceDeps = {
  db: Db;
  sequences: Pick<SequencesRepo,
    'findSequence' | 'findVersion' | 'insertSequence' | 'insertVersion' | 'listVersions' | 'updateSequenceRow' | 'listSequencesWithCurrent'
    | 'softDeleteSequence' | 'existingLineIds'>;
  enrollments: Pick<EnrollmentsRepo, 'countActiveEnrollments'>;
  secrets: Pick<SecretBox, 'seal'>;
  /** WEBHOOK_ALLOWED_HOSTS: hosts a webhook step may name although they are private (default: none). */
  allowedWebhookHosts?: readonly string[];
};

const nameTaken = { sequences_name_uniq: 'a sequence with this name exists' };

/** Replaces a webhook step's write-only `authorization` by its sealed form (kept from `previous` when omitted). */
const sealSecrets = (def: SequenceDefinition, secrets: Pick<SecretBox, 'seal'>, previous?: SequenceDefinition): SequenceDefinition => ({
  ...def,
  steps: def.steps.map((s) => {
    if (s.type !== 'send' || s.send.channel !== 'webhook') return s;
    const { authorization, authorizationSealed: _kept, ...rest } = s.send as typeof s.send & { authorizationSealed?: string };
    const old = previous?.steps.find((p) => p.id === s.id && p.type === 'send' && p.send.channel === 'webhook') as
      | (Step & { send: { authorizationSealed?: string } }) | undefined;
    const sealed = authorization ? secrets.seal(authorization) : authorization === null ? undefined : old?.send.authorizationSealed;
    return { ...s, send: { ...rest, ...(sealed ? { authorizationSealed: sealed } : {}) } } as typeof s;
  }),
});

/** Steps for output: sealed secrets become `authorizationSet: true`. */
export const publicSteps = (def: SequenceDefinition): Array<Record<string, unknown>> =>
  def.steps.map((s) => {
    if (s.type !== 'send' || s.send.channel !== 'webhook') return s;
    const { authorizationSealed, ...rest } = s.send as typeof s.send & { authorizationSealed?: string };
    return { ...s, send: { ...rest, authorizationSet: Boolean(authorizationSealed) } };
  });

const view = (s: Sequence, v: SequenceVersion): SequenceView => ({
  ...s, lineId: v.definition.lineId ?? null, steps: publicSteps(v.definition), exits: v.definition.exits,
});

/**
 * Webhook steps must name URLs the sender may reach (literal addresses public, no user info). URLs
 * the previous version already had are not judged again, so editing another step of an older sequence works.
 */
const checkWebhookUrls = (def: SequenceDefinition, allowedHosts: readonly string[] | undefined, previous?: SequenceDefinition): void => {
  const urls = (d: SequenceDefinition | undefined) => (d?.steps ?? []).flatMap((s, i) =>
    (s.type === 'send' && s.send.channel === 'webhook' ? [[`steps.${i}.send.url`, s.send.url] as [string, string]] : []));
  const known = new Set(urls(previous).map(([, u]) => u));
  const issues = webhookUrlIssues(urls(def).filter(([, u]) => !known.has(u)), allowedHosts);
  if (issues.length) throw new ValidationError(issues.map((x) => `${x.path}: ${x.message}`).join('; '), issues);
};

/** SMS steps must fit the carrier's limit with their fields and placeholders empty (400 naming `steps.<i>.send.message`). */
const checkSmsLengths = (def: SequenceDefinition): void => {
  const issues: FieldIssue[] = def.steps.flatMap((s, i) => {
    const m = s.type === 'send' && s.send.channel === 'sms' ? savedSmsIssue(s.send.message) : null;
    return m ? [{ path: `steps.${i}.send.message`, message: m }] : [];
  });
  if (issues.length) throw new ValidationError(issues.map((x) => `${x.path}: ${x.message}`).join('; '), issues);
};

/** Lines named by the definition must be this account's. */
const checkLines = async (repo: Pick<SequencesRepo, 'existingLineIds'>, q: Queryable, accountId: string, def: SequenceDefinition): Promise<void> => {
  const refs: Array<{ path: string; id: string }> = [];
  if (def.lineId) refs.push({ path: 'lineId', id: def.lineId });
  def.steps.forEach((s, i) => {
    if (s.type === 'send' && (s.send.channel === 'sms' || s.send.channel === 'voice') && s.send.lineId) refs.push({ path: `steps.${i}.send.lineId`, id: s.send.lineId });
  });
  if (refs.length === 0) return;
  const found = await repo.existingLineIds(q, accountId, [...new Set(refs.map((r) => r.id))]);
  const issues: FieldIssue[] = refs.filter((r) => !found.has(r.id)).map((r) => ({ path: r.path, message: 'no such line in this account' }));
  if (issues.length) throw new ValidationError(issues.map((x) => `${x.path}: ${x.message}`).join('; '), issues);
};

export const createSequenceService = (deps: SequenceServiceDeps) => {
  const { db, sequences: repo } = deps;

  const load = async (q: Queryable, accountId: string, id: string, lock = false) => {
    const s = await repo.findSequence(q, accountId, id, lock);
    if (!s) throw new NotFoundError('sequence');
    const v = await repo.findVersion(q, s.id, s.currentVersion);
    if (!v) throw new NotFoundError('sequence version');
    return { s, v };
  };

  /** Creates a sequence and its version 1. */
  const create = async (accountId: string, input: SequenceInput, templateKey: string | null = null): Promise<SequenceView> => {
    const def = sealSecrets(normalizeDefinition(input), deps.secrets);
    return withTransaction(db, async (tx) => {
      checkWebhookUrls(def, deps.allowedWebhookHosts);
      checkSmsLengths(def);
      await checkLines(repo, tx, accountId, def);
      const s = await repo.insertSequence(tx, { accountId, name: input.name, description: input.description, allowReenrollment: input.allowReenrollment, templateKey })
        .catch((e) => mapPgError(e, nameTaken));
      const v = await repo.insertVersion(tx, { sequenceId: s.id, accountId, version: 1, definition: def });
      return view(s, v);
    });
  };

  const get = async (accountId: string, id: string): Promise<SequenceView> => {
    const { s, v } = await load(db, accountId, id);
    return view(s, v);
  };

  const list = async (accountId: string): Promise<SequenceView[]> => {
    return (await repo.listSequencesWithCurrent(db, accountId)).map((r) => view(r.sequence, r.version));
  };

  /**
   * Writes a new immutable version (a steps or exits change); enrollments in progress keep the
   * version they enrolled under, new ones get this one.
   */
  const newVersion = async (accountId: string, id: string, edit: (current: SequenceDefinition) => Pick<SequenceInput, 'steps' | 'exits' | 'lineId'>,
    meta: { name?: string; description?: string; allowReenrollment?: boolean } = {}): Promise<SequenceView> =>
    withTransaction(db, async (tx) => {
      const { s, v } = await load(tx, accountId, id, true);
      const def = sealSecrets(normalizeDefinition(edit(v.definition)), deps.secrets, v.definition);
      checkWebhookUrls(def, deps.allowedWebhookHosts, v.definition);
      checkSmsLengths(def);
      await checkLines(repo, tx, accountId, def);
      const nv = await repo.insertVersion(tx, { sequenceId: s.id, accountId, version: s.currentVersion + 1, definition: def });
      const updated = await repo.updateSequenceRow(tx, accountId, id, { ...meta, currentVersion: nv.version }).catch((e) => mapPgError(e, nameTaken));
      return view(updated, nv);
    });

  /** Full replace (PUT): metadata updates in place; the definition always becomes a new version. */
  const replace = (accountId: string, id: string, input: SequenceInput) =>
    newVersion(accountId, id, () => input, { name: input.name, description: input.description, allowReenrollment: input.allowReenrollment });

  /** PATCH: metadata only (no new version). */
  const patch = async (accountId: string, id: string, p: { name?: string; description?: string; allowReenrollment?: boolean }) =>
    withTransaction(db, async (tx) => {
      const { v } = await load(tx, accountId, id, true);
      const s = await repo.updateSequenceRow(tx, accountId, id, p).catch((e) => mapPgError(e, nameTaken));
      return view(s, v);
    });

  /** Pause stops new enrollments (current ones keep running); resume allows them again. */
  const setStatus = async (accountId: string, id: string, status: 'active' | 'paused') =>
    withTransaction(db, async (tx) => {
      const { v } = await load(tx, accountId, id, true);
      return view(await repo.updateSequenceRow(tx, accountId, id, { status }), v);
    });

  /** Soft delete: refused while contacts are enrolled (unenroll them first). */
  const remove = async (accountId: string, id: string): Promise<void> =>
    withTransaction(db, async (tx) => {
      await load(tx, accountId, id, true);
      const active = await deps.enrollments.countActiveEnrollments(tx, id);
      if (active > 0) throw new ConflictError(`${active} contacts are still enrolled; unenroll them first`, 'sequence_in_use');
      await repo.softDeleteSequence(tx, id);
    });

  const versions = async (accountId: string, id: string) => {
    await load(db, accountId, id);
    return (await repo.listVersions(db, accountId, id)).map((v) => ({ version: v.version, createdAt: v.createdAt, steps: publicSteps(v.definition), exits: v.definition.exits }));
  };

  // Steps: each change is a new version.
  const stepIndex = (def: SequenceDefinition, stepId: string): number => {
    const i = def.steps.findIndex((s) => s.id === stepId);
    if (i < 0) throw new NotFoundError('step');
    return i;
  };
  const parseStep = (raw: unknown, path: string): Step => {
    const r = stepSchema.safeParse(raw);
    if (!r.success) {
      const issues = r.error.issues.map((x) => ({ path: [path, ...x.path.map(String)].join('.'), message: x.message }));
      throw new ValidationError(issues.map((x) => `${x.path}: ${x.message}`).join('; '), issues);
    }
    return r.data;
  };
  const keep = (d: SequenceDefinition) => ({ lineId: d.lineId, exits: d.exits });
  const withoutSealed = (d: SequenceDefinition): Step[] => d.steps as Step[];

  const addStep = (accountId: string, id: string, step: Step, position?: number) =>
    newVersion(accountId, id, (d) => {
      const steps = [...withoutSealed(d)];
      steps.splice(position ?? steps.length, 0, step);
      return { ...keep(d), steps };
    });

  const updateStep = (accountId: string, id: string, stepId: string, step: unknown) =>
    newVersion(accountId, id, (d) => {
      const i = stepIndex(d, stepId);
      const steps = [...withoutSealed(d)];
      steps[i] = { ...parseStep(step, 'body'), id: stepId };
      return { ...keep(d), steps };
    });

  const removeStep = (accountId: string, id: string, stepId: string) =>
    newVersion(accountId, id, (d) => {
      const i = stepIndex(d, stepId);
      if (d.steps.length === 1) throw ValidationError.field('steps', 'a sequence needs at least one step');
      return { ...keep(d), steps: withoutSealed(d).filter((_, j) => j !== i) };
    });

  return { create, get, list, replace, patch, setStatus, remove, versions, addStep, updateStep, removeStep };
};

export type SequenceService = ReturnType<typeof createSequenceService>;
