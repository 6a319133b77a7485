/**
 * Two kinds of holes in message text:
 * - `[[placeholder]]`: filled by whoever activates (dashboard form, API body); missing ones are an error.
 * - `{{field}}`: filled by Switchboard from the activation (`recording_url`, `inbound_message`…).
 * Pure: no I/O.
 */
const PLACEHOLDER = /\[\[\s*([A-Za-z0-9_][A-Za-z0-9_ .-]{0,63}?)\s*\]\]/g;
const FIELD = /\{\{\s*([A-Za-z0-9_.]{1,64})\s*\}\}/g;

/** Names of the `[[placeholders]]` in the given texts, unique, in order of first appearance. */
export const findPlaceholders = (...texts: Array<string | undefined | null>): string[] => {
  const seen = new Set<string>();
  for (const t of texts) {
    if (!t) continue;
    for (const m of t.matchAll(PLACEHOLDER)) seen.add(m[1]!);
  }
  return [...seen];
};

export type Escape = 'none' | 'json' | 'xml';

const escapeFor = (value: string, escape: Escape): string => {
  if (escape === 'json') return JSON.stringify(value).slice(1, -1);
  if (escape === 'xml')
    return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
  return value;
};

/** Fills `[[name]]` from `values`; unknown names are left as they are. */
export const fillPlaceholders = (text: string, values: Record<string, string>, escape: Escape = 'none'): string =>
  text.replace(PLACEHOLDER, (whole, name: string) => (name in values ? escapeFor(values[name]!, escape) : whole));

/** Other names a field may be written with: `{{craig_prompt_output}}` is `{{prompt_output}}`. */
export const FIELD_ALIASES: Readonly<Record<string, string>> = { craig_prompt_output: 'prompt_output' };

/** Names of the `{{fields}}` in a text, unique, in order of first appearance (as written, aliases included). */
export const findFields = (text: string | undefined | null): string[] => [...new Set([...(text ?? '').matchAll(FIELD)].map((m) => m[1]!))];

/** Fills `{{field}}` from `fields` (aliases too); unknown or empty fields become the empty string. */
export const fillFields = (text: string, fields: Record<string, string | number | null | undefined>, escape: Escape = 'none'): string =>
  text.replace(FIELD, (_whole, name: string) => {
    const v = name in fields || !FIELD_ALIASES[name] ? fields[name] : fields[FIELD_ALIASES[name]!];
    return v === null || v === undefined ? '' : escapeFor(String(v), escape);
  });

/** Both passes: placeholders first (their values are user text, so `{{…}}` in them is not expanded). */
export const render = (
  text: string,
  placeholders: Record<string, string>,
  fields: Record<string, string | number | null | undefined>,
  escape: Escape = 'none',
): string => {
  // Protect filled placeholder values from the field pass by filling fields first on the template.
  return fillPlaceholders(fillFields(text, fields, escape), placeholders, escape);
};

export const missingPlaceholders = (names: string[], values: Record<string, unknown>): string[] =>
  names.filter((n) => typeof values[n] !== 'string' || (values[n] as string).trim() === '');
