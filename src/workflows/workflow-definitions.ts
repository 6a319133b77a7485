import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../crypto.js';
import { findPlaceholders } from '../templates/templates.js';
import type { StoredAction, WorkflowDefinition, WorkflowInput } from './workflow-types.js';

/** Every `[[placeholder]]` a definition's messages use. */
export const definitionPlaceholders = (def: Pick<WorkflowDefinition, 'actions'>): string[] =>
  findPlaceholders(
    ...def.actions.flatMap((a) => {
      switch (a.type) {
        case 'notification':
          return [a.message, a.subject, a.poll?.question, a.prompt?.text];
        case 'conference':
          return [a.intro];
        case 'webhook':
          return [a.body, a.prompt?.text];
        default:
          return [];
      }
    }),
  );

const newActionId = (taken: Set<string>): string => {
  for (;;) {
    const id = `act_${randomBytes(6).toString('base64url').replace(/[-_]/g, '0')}`;
    if (!taken.has(id)) return id;
  }
};

/**
 * The definition to store: client-given action ids kept, new ones generated (unique in the
 * workflow, stable across versions once the client sends them back), webhook Authorization
 * sealed. An update that leaves `authorization` out keeps the sealed value of the previous
 * version's webhook action with the same id; `null` clears it.
 */
export const toStoredDefinition = (input: WorkflowInput, secrets: Pick<SecretBox, 'seal'>, previous?: WorkflowDefinition | null): WorkflowDefinition => {
  const taken = new Set(input.actions.map((a) => a.id).filter((id): id is string => !!id));
  const prevSealed = new Map<string, string>();
  for (const a of previous?.actions ?? []) if (a.type === 'webhook' && a.authorizationSealed) prevSealed.set(a.id, a.authorizationSealed);
  const actions = input.actions.map((a): StoredAction => {
    const id = a.id ?? newActionId(taken);
    taken.add(id);
    if (a.type !== 'webhook') return { ...a, id };
    const { authorization, ...rest } = a;
    const sealed = typeof authorization === 'string' ? secrets.seal(authorization) : authorization === undefined ? prevSealed.get(id) : undefined;
    return sealed ? { ...rest, id, authorizationSealed: sealed } : { ...rest, id };
  });
  return {
    name: input.name,
    description: input.description,
    codeActivation: input.codeActivation ?? null,
    schedule: input.schedule ?? null,
    actions,
  };
};

/** An action as the API shows it: a webhook's Authorization is reported as set or not, never shown. */
export type PublicAction = Exclude<StoredAction, { type: 'webhook' }> | (Omit<Extract<StoredAction, { type: 'webhook' }>, 'authorizationSealed'> & { authorizationSet: boolean });

export type PublicDefinition = Omit<WorkflowDefinition, 'actions' | 'codeActivation' | 'schedule'> & {
  codeActivation: NonNullable<WorkflowDefinition['codeActivation']> | null;
  schedule: NonNullable<WorkflowDefinition['schedule']> | null;
  actions: PublicAction[];
  placeholders: string[];
};

/** Strips sealed secrets and lists the `[[placeholders]]` an activation must fill. */
export const toPublicDefinition = (def: WorkflowDefinition): PublicDefinition => ({
  ...def,
  codeActivation: def.codeActivation ?? null,
  schedule: def.schedule ?? null,
  actions: def.actions.map((a) => {
    if (a.type !== 'webhook') return a;
    const { authorizationSealed, ...rest } = a;
    return { ...rest, authorizationSet: !!authorizationSealed };
  }),
  // The same list activate() insists on, so a form built from it is always accepted.
  placeholders: definitionPlaceholders(def),
});
