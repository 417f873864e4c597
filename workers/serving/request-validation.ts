/**
 * Pure validation of predict requests. The body's shape is checked once; each row's features are
 * checked against the declared features of the version that will score it (champion and candidate
 * may declare different ones), with a checker compiled once per loaded version.
 *
 * Every failure names the field (a JSON path such as "instances[3].features.age") and says how to
 * fix it: a client reading the message alone should know what to send.
 */
import type { FeatureSpec } from '../../core/types';

export const MAX_INSTANCES = 1000;

export interface FieldError {
  code: 'invalid_body' | 'missing_feature' | 'invalid_feature' | 'unknown_field';
  field: string; // "" when the body as a whole is wrong
  message: string;
}

export interface PredictRow {
  entityId: string | null;
  features: unknown; // checked later against the serving version's features
  /** JSON path of the row's features object, for error messages. */
  path: string;
}

export type ParsedBody = { kind: 'single'; row: PredictRow } | { kind: 'batch'; rows: PredictRow[] } | { kind: 'error'; error: FieldError };

const SINGLE_EXAMPLE = '{"entity_id": "42", "features": {...}}';
const BATCH_EXAMPLE = '{"instances": [{"entity_id": "42", "features": {...}}]}';

export function parsePredictBody(body: unknown): ParsedBody {
  if (!isPlainObject(body)) {
    return invalid('invalid_body', '', `the request body must be a JSON object: send ${SINGLE_EXAMPLE} or ${BATCH_EXAMPLE}`);
  }
  const hasFeatures = body.features !== undefined;
  const hasInstances = body.instances !== undefined;
  if (hasFeatures === hasInstances) {
    return invalid(
      'invalid_body',
      hasFeatures ? 'instances' : 'features',
      hasFeatures
        ? 'send either "features" (one row) or "instances" (a batch), not both'
        : `the body has neither "features" nor "instances": send ${SINGLE_EXAMPLE} or ${BATCH_EXAMPLE}`,
    );
  }
  if (hasFeatures) {
    const row = parseRow(body, '');
    return 'error' in row ? { kind: 'error', error: row.error } : { kind: 'single', row };
  }
  for (const key in body) {
    if (key !== 'instances') return invalid('unknown_field', key, `unknown field "${key}" next to "instances": put entity_id inside each instance`);
  }
  const instances = body.instances;
  if (!Array.isArray(instances) || instances.length === 0) {
    return invalid('invalid_body', 'instances', `"instances" must be a non-empty array of rows: send ${BATCH_EXAMPLE}`);
  }
  if (instances.length > MAX_INSTANCES) {
    return invalid(
      'invalid_body',
      'instances',
      `"instances" holds ${instances.length} rows, more than the ${MAX_INSTANCES} allowed per request: split the batch`,
    );
  }
  const rows: PredictRow[] = new Array(instances.length);
  for (let i = 0; i < instances.length; i++) {
    const prefix = `instances[${i}]`;
    if (!isPlainObject(instances[i])) {
      return invalid('invalid_body', prefix, `${prefix} must be an object like {"entity_id": "42", "features": {...}}`);
    }
    const row = parseRow(instances[i] as Record<string, unknown>, `${prefix}.`);
    if ('error' in row) return { kind: 'error', error: row.error };
    rows[i] = row;
  }
  return { kind: 'batch', rows };
}

function parseRow(obj: Record<string, unknown>, prefix: string): PredictRow | { error: FieldError } {
  for (const key in obj) {
    if (key !== 'features' && key !== 'entity_id') {
      return { error: fieldError('unknown_field', `${prefix}${key}`, `unknown field "${prefix}${key}": a row has only "entity_id" and "features"`) };
    }
  }
  const entityId = obj.entity_id;
  if (entityId !== undefined && entityId !== null && (typeof entityId !== 'string' || entityId.length === 0)) {
    return {
      error: fieldError('invalid_body', `${prefix}entity_id`, `${prefix}entity_id must be a non-empty string; got ${describeValue(entityId)}: send the id as a string, e.g. "42"`),
    };
  }
  if (obj.features === undefined) {
    return { error: fieldError('invalid_body', `${prefix}features`, `${prefix}features is missing: send the row's feature values as an object`) };
  }
  return { entityId: (entityId as string | null | undefined) ?? null, features: obj.features, path: `${prefix}features` };
}

/** Checks one row's features; null when valid (the object can then be scored as a FeatureRow as is). */
export type FeatureValidator = (features: unknown, path: string) => FieldError | null;

export function compileFeatureValidator(specs: readonly FeatureSpec[]): FeatureValidator {
  const declared = new Set(specs.map((s) => s.name));
  const names = specs.map((s) => s.name);
  const numeric = specs.map((s) => s.type === 'numeric');
  const declaredList = names.join(', ');

  return (features, path) => {
    if (!isPlainObject(features)) {
      return fieldError('invalid_body', path, `${path} must be an object of feature values (${declaredList}); got ${describeValue(features)}`);
    }
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      // Own keys only: a feature called "constructor" must not find Object.prototype's.
      const value = Object.hasOwn(features, name) ? features[name] : undefined;
      const field = `${path}.${name}`;
      if (value === undefined) {
        return fieldError('missing_feature', field, `${field} is missing: send every declared feature (${declaredList}); use null for an unknown value`);
      }
      if (value === null) continue;
      if (numeric[i]) {
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          return fieldError('invalid_feature', field, `${field} must be a finite number or null; got ${describeValue(value)}: send a JSON number, or null when the value is missing`);
        }
      } else if (typeof value !== 'string') {
        return fieldError('invalid_feature', field, `${field} is categorical and must be a string or null; got ${describeValue(value)}: send the category as a string`);
      }
    }
    for (const key in features) {
      if (!declared.has(key)) {
        return fieldError('unknown_field', `${path}.${key}`, `${path}.${key} is not a feature of this model: send only ${declaredList}`);
      }
    }
    return null;
  };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A value as an error message shows it: type and a short preview. Objects are not serialised:
 * a client's object may be megabytes, or nested deeper than JSON.stringify's stack allows.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function fieldError(code: FieldError['code'], field: string, message: string): FieldError {
  return { code, field, message };
}

function invalid(code: FieldError['code'], field: string, message: string): ParsedBody {
  return { kind: 'error', error: fieldError(code, field, message) };
}
