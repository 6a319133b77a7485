import type { FieldIssue } from '../errors.js';
import { unknownFields, WORKFLOW_FIELDS } from '../templates/known-fields.js';
import type { WorkflowInput } from './workflow-types.js';

/** The texts of an action that are rendered with `{{fields}}` (a poll and a URL are sent as written). */
const renderedTexts = (a: WorkflowInput['actions'][number], p: string): Array<[string, string | undefined]> => {
  switch (a.type) {
    case 'notification': return [[`${p}.message`, a.message], [`${p}.subject`, a.subject], [`${p}.prompt.text`, a.prompt?.text]];
    case 'webhook': return [[`${p}.body`, a.body], [`${p}.prompt.text`, a.prompt?.text]];
    case 'conference': return [[`${p}.intro`, a.intro]];
    default: return [];
  }
};

/**
 * Every `{{field}}` a workflow's texts use must be one it is rendered with: the activation's
 * fields (WORKFLOW_FIELDS, `{{craig_prompt_output}}` included) or a custom field some contact of
 * the account has. Anything else would be sent empty: one issue per text naming the unknown fields.
 * `customFieldsInUse` answers which of the names some contact of the account has (asked only when needed).
 */
export const checkFieldNames = async (
  input: WorkflowInput, customFieldsInUse: (names: string[]) => Promise<Set<string>>,
): Promise<FieldIssue[]> => {
  const found = input.actions.flatMap((a, i) => renderedTexts(a, `actions.${i}`).map(([path, text]) => ({ path, names: unknownFields(text, WORKFLOW_FIELDS) })))
    .filter((f) => f.names.length > 0);
  if (found.length === 0) return [];
  const custom = await customFieldsInUse([...new Set(found.flatMap((f) => f.names))]);
  return found.flatMap(({ path, names }) => {
    const unknown = names.filter((n) => !custom.has(n));
    if (unknown.length === 0) return [];
    return [{
      path,
      message: `unknown field ${unknown.map((n) => `{{${n}}}`).join(', ')}: use ${WORKFLOW_FIELDS.map((n) => `{{${n}}}`).join(', ')} `
        + 'or a custom field your contacts have (it would be sent empty)',
    }];
  });
};
