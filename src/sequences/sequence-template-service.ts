import { isUuid, mapPgError, type Db } from '../db/db.js';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../errors.js';
import { findPlaceholders } from '../templates/templates.js';
import type { SequenceService } from './sequence-service.js';
import { findTemplate, sequenceTemplates } from './sequence-templates.js';
import type { CustomTemplate, SequenceTemplatesRepo } from './sequence-templates-repo.js';
import { definitionTexts, normalizeDefinition, sequenceInputSchema, type SequenceInput } from './sequence-types.js';

/**
 * Sequence templates: the four built-in ones (read-only, keyed by slug) and the account's own
 * (keyed by their UUID), listed together. A template is a `SequenceInput` to start a sequence
 * from; copying one creates an ordinary, editable sequence. Templates hold no secrets.
 */
export type TemplateView = {
  key: string; builtIn: boolean; name: string; description: string; placeholders: string[]; definition: SequenceInput;
  createdAt: Date | null; updatedAt: Date | null;
};

export type SequenceTemplateServiceDeps = {
  db: Db;
  sequences: Pick<SequenceService, 'create'>;
  templates: Pick<SequenceTemplatesRepo,
    'listCustomTemplates' | 'findCustomTemplate' | 'insertCustomTemplate' | 'updateCustomTemplate' | 'deleteCustomTemplate'>;
};

const nameTaken = { sequence_templates_name_uniq: 'a template with this name exists' };

const placeholdersOf = (def: SequenceInput): string[] => findPlaceholders(...definitionTexts(normalizeDefinition(def)));

const customView = (t: CustomTemplate): TemplateView => ({
  key: t.id, builtIn: false, name: t.name, description: t.description, placeholders: placeholdersOf(t.definition),
  definition: t.definition, createdAt: t.createdAt, updatedAt: t.updatedAt,
});

/** Step ids filled in and branch targets checked (as for a sequence); webhook secrets refused. */
const checked = (input: SequenceInput): SequenceInput => {
  const def = normalizeDefinition(input);
  const issues: FieldIssue[] = [];
  def.steps.forEach((s, i) => {
    if (s.type === 'send' && s.send.channel === 'webhook' && s.send.authorization) {
      issues.push({ path: `steps.${i}.send.authorization`, message: 'a template holds no secrets: set it on the sequence made from the template' });
    }
  });
  if (issues.length) throw new ValidationError(issues.map((x) => `${x.path}: ${x.message}`).join('; '), issues);
  return { ...input, steps: def.steps };
};

export const createSequenceTemplateService = (deps: SequenceTemplateServiceDeps) => {
  const { db } = deps;
  const builtIns = (): TemplateView[] => sequenceTemplates.map((t) => ({
    key: t.key, builtIn: true, name: t.name, description: t.description, placeholders: t.placeholders, definition: t.definition, createdAt: null, updatedAt: null,
  }));
  const readOnly = (key: string) => {
    if (findTemplate(key)) throw new ConflictError('built-in templates are read-only: copy it into a sequence, or save a sequence as a new template', 'template_read_only');
  };
  const mustFind = async (accountId: string, key: string): Promise<CustomTemplate> => {
    const t = isUuid(key) ? await deps.templates.findCustomTemplate(db, accountId, key) : null;
    if (!t) throw new NotFoundError('template');
    return t;
  };

  /** Built-in templates first, then the account's own, oldest first. */
  const list = async (accountId: string): Promise<TemplateView[]> => [...builtIns(), ...(await deps.templates.listCustomTemplates(db, accountId)).map(customView)];

  const get = async (accountId: string, key: string): Promise<TemplateView> =>
    builtIns().find((t) => t.key === key) ?? customView(await mustFind(accountId, key));

  const create = async (accountId: string, input: SequenceInput): Promise<TemplateView> => {
    const definition = checked(input);
    const t = await deps.templates.insertCustomTemplate(db, accountId, { name: input.name, description: input.description, definition }).catch((e) => mapPgError(e, nameTaken));
    return customView(t);
  };

  /** Replaces a custom template; built-in ones are a 409 (read-only). */
  const update = async (accountId: string, key: string, input: SequenceInput): Promise<TemplateView> => {
    readOnly(key);
    await mustFind(accountId, key);
    const definition = checked(input);
    const t = await deps.templates.updateCustomTemplate(db, accountId, key, { name: input.name, description: input.description, definition }).catch((e) => mapPgError(e, nameTaken));
    if (!t) throw new NotFoundError('template');
    return customView(t);
  };

  const remove = async (accountId: string, key: string): Promise<void> => {
    readOnly(key);
    if (!isUuid(key) || !(await deps.templates.deleteCustomTemplate(db, accountId, key))) throw new NotFoundError('template');
  };

  /** Creates an editable sequence from a template (name and default line may be changed). */
  const copy = async (accountId: string, key: string, opts: { name?: string; lineId?: string } = {}) => {
    const t = await get(accountId, key);
    const input = sequenceInputSchema.parse({ ...t.definition, name: opts.name ?? t.definition.name, lineId: opts.lineId ?? t.definition.lineId });
    return deps.sequences.create(accountId, input, t.key);
  };

  return { list, get, create, update, remove, copy };
};
export type SequenceTemplateService = ReturnType<typeof createSequenceTemplateService>;
