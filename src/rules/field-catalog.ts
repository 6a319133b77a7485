import { operatorsByType } from './conditions.js';
import { contactFields, internalEventFields } from './fields.js';
import { fieldTypes, operators, ruleActionSchema, scheduleWindows, type FieldType, type Operator } from './rule-types.js';

/** What value an operator takes: none, one scalar, [low, high], a list, or `{ amount, unit, direction }`. */
export type OperatorValue = 'none' | 'single' | 'range' | 'list' | 'duration';

const valueShape: Record<Operator, OperatorValue> = {
  equals: 'single', not_equals: 'single', greater_than: 'single', less_than: 'single', between: 'range', within: 'duration',
  starts_with: 'single', contains: 'single', in: 'list', is_blank: 'none', is_not_blank: 'none', is_numeric: 'none',
};

/** Everything a rule editor needs to offer only valid choices; the same tables the API validates with. */
export type RuleFieldCatalog = {
  fieldTypes: FieldType[];
  operators: Array<{ name: Operator; value: OperatorValue; types: FieldType[] }>;
  operatorsByType: Record<FieldType, Operator[]>;
  eventTypes: Array<{ type: string; fields: Array<{ path: string; key: string; type: FieldType }> }>;
  contactFields: Array<{ path: string; key: string; type: FieldType; writable: boolean }>;
  customFieldPaths: { contact: string; event: string };
  withinUnits: string[];
  withinDirections: string[];
  windows: Array<{ name: string; fromHour: number | null; toHour: number | null }>;
  actionTypes: string[];
  timingTypes: string[];
  updateFieldOperations: string[];
};

const actionOptions = ruleActionSchema.options;

/** The field catalogue of the rule engine (pure; built from fields.ts, conditions.ts and rule-types.ts). */
export const ruleFieldCatalog = (): RuleFieldCatalog => ({
  fieldTypes: [...fieldTypes],
  operators: operators.map((name) => ({ name, value: valueShape[name], types: fieldTypes.filter((t) => operatorsByType[t].includes(name)) })),
  operatorsByType: Object.fromEntries(fieldTypes.map((t) => [t, [...operatorsByType[t]]])) as Record<FieldType, Operator[]>,
  eventTypes: Object.entries(internalEventFields).map(([type, fields]) => ({
    type, fields: Object.entries(fields).map(([key, t]) => ({ path: `event.${key}`, key, type: t })),
  })),
  contactFields: Object.entries(contactFields).map(([key, f]) => ({ path: `contact.${key}`, key, type: f.type, writable: f.writable })),
  customFieldPaths: { contact: 'contact.custom.<key>', event: 'event.<key>' },
  withinUnits: ['minutes', 'hours', 'days'],
  withinDirections: ['past', 'next'],
  windows: Object.entries(scheduleWindows).map(([name, w]) => ({ name, fromHour: w?.[0] ?? null, toHour: w?.[1] ?? null })),
  actionTypes: actionOptions.map((o) => o.shape.type.value),
  timingTypes: ['immediate', 'delay', 'relative'],
  updateFieldOperations: [...(actionOptions.find((o) => o.shape.type.value === 'update_field')!.shape as { operation: { options: string[] } }).operation.options],
});
