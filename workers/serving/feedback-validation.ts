/**
 * Pure validation of feedback (delayed ground truth) requests:
 *   { "request_id"?: string, "entity_id"?: string, "label": 0|1, "at"?: ISO-8601 }
 * or { "items": [ ...up to 1,000 of those ] }.
 *
 * An item names the prediction it is about by request_id (the predict response's request_id;
 * `<request_id>#<index>` for a row of a batch) or, failing that, the entity it was about.
 * Every failure names the field and says what to send, like the predict route's.
 */
import { describeValue, isPlainObject, type FieldError } from './request-validation';

export const MAX_FEEDBACK_ITEMS = 1000;
const MAX_ID_LENGTH = 256;

export interface FeedbackItem {
  requestId: string | null;
  entityId: string | null;
  label: 0 | 1;
  /** Epoch ms of the outcome, when the client said; null: "now". */
  at: number | null;
}

export type ParsedFeedback = { kind: 'items'; items: FeedbackItem[] } | { kind: 'error'; error: FieldError };

const ITEM_FIELDS = new Set(['request_id', 'entity_id', 'label', 'at']);
const EXAMPLE = '{"request_id": "…", "label": 1} or {"entity_id": "42", "label": 0, "at": "2025-01-06T10:00:00Z"}';
// ISO-8601 with an explicit zone (or a bare date, which is UTC midnight): "10:00" alone would be
// read in the worker's local time zone, which differs between machines.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export function parseFeedbackBody(body: unknown): ParsedFeedback {
  if (!isPlainObject(body)) return invalid('invalid_body', '', `the request body must be a JSON object: send ${EXAMPLE}, or {"items": [...]}`);
  if (body.items === undefined) {
    const item = parseItem(body, '');
    return 'error' in item ? { kind: 'error', error: item.error } : { kind: 'items', items: [item] };
  }
  for (const key in body) {
    if (key !== 'items') return invalid('unknown_field', key, `unknown field "${key}" next to "items": put request_id, entity_id, label and at inside each item`);
  }
  const items = body.items;
  if (!Array.isArray(items) || items.length === 0) return invalid('invalid_body', 'items', `"items" must be a non-empty array of feedback items like ${EXAMPLE}`);
  if (items.length > MAX_FEEDBACK_ITEMS) {
    return invalid('invalid_body', 'items', `"items" holds ${items.length} items, more than the ${MAX_FEEDBACK_ITEMS} allowed per request: split them`);
  }
  const parsed: FeedbackItem[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const prefix = `items[${i}]`;
    if (!isPlainObject(items[i])) return invalid('invalid_body', prefix, `${prefix} must be an object like ${EXAMPLE}`);
    const item = parseItem(items[i] as Record<string, unknown>, `${prefix}.`);
    if ('error' in item) return { kind: 'error', error: item.error };
    parsed[i] = item;
  }
  return { kind: 'items', items: parsed };
}

function parseItem(obj: Record<string, unknown>, prefix: string): FeedbackItem | { error: FieldError } {
  for (const key in obj) {
    if (!ITEM_FIELDS.has(key)) {
      return fail('unknown_field', `${prefix}${key}`, `unknown field "${prefix}${key}": feedback has only request_id, entity_id, label and at`);
    }
  }
  const requestId = parseId(obj.request_id, `${prefix}request_id`);
  if (typeof requestId === 'object' && requestId !== null) return requestId;
  const entityId = parseId(obj.entity_id, `${prefix}entity_id`);
  if (typeof entityId === 'object' && entityId !== null) return entityId;
  if (requestId === null && entityId === null) {
    return fail(
      'invalid_body',
      `${prefix}request_id`,
      `${prefix}request_id and ${prefix}entity_id are both missing: send the request_id of the prediction (from the predict response) or the entity_id it was about`,
    );
  }
  const label = obj.label;
  if (label !== 0 && label !== 1) {
    return fail('invalid_body', `${prefix}label`, `${prefix}label must be 0 or 1; got ${describeValue(label)}: send the observed outcome as the number 0 or 1`);
  }
  let at: number | null = null;
  if (obj.at !== undefined && obj.at !== null) {
    const ms = typeof obj.at === 'string' && ISO_TIME.test(obj.at) ? Date.parse(obj.at) : Number.NaN;
    if (!Number.isFinite(ms)) {
      return fail('invalid_body', `${prefix}at`, `${prefix}at must be an ISO-8601 time with a zone, e.g. "2025-01-06T10:00:00Z"; got ${describeValue(obj.at)}`);
    }
    at = ms;
  }
  return { requestId, entityId, label, at };
}

/** null when absent; the id; or the error. */
function parseId(value: unknown, field: string): string | null | { error: FieldError } {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    return fail('invalid_body', field, `${field} must be a non-empty string of at most ${MAX_ID_LENGTH} characters; got ${describeValue(value)}`);
  }
  return value;
}

function fail(code: FieldError['code'], field: string, message: string): { error: FieldError } {
  return { error: { code, field, message } };
}

function invalid(code: FieldError['code'], field: string, message: string): ParsedFeedback {
  return { kind: 'error', error: { code, field, message } };
}
