/**
 * The `{{fields}}` each kind of text is rendered with, so an unknown name can be refused when the
 * text is saved instead of silently becoming empty when it is sent. Pure: no I/O.
 */
import { FIELD_ALIASES, findFields } from './templates.js';

/**
 * Workflow actions (src/activation/plan-rows.ts `fieldsFor`): the activation's own fields. The
 * contact's custom fields (`{{badge}}`) are known too, but only the account's data says which:
 * the caller checks the names this list does not hold against them.
 */
export const WORKFLOW_FIELDS: readonly string[] = [
  'contact_name', 'workflow_name', 'activation_uuid', 'recording_url', 'inbound_message', 'prompt_output', ...Object.keys(FIELD_ALIASES),
];

/** Names in `text` that `known` does not hold (as written). */
export const unknownFields = (text: string | undefined | null, known: readonly string[]): string[] =>
  findFields(text).filter((n) => !known.includes(n));
