/**
 * Data-quality verdicts (step 2), as pure functions over statistics that checks.ts gathers with
 * DuckDB. A failed check is data in the report, never an exception: the workflow decides what a
 * failure means, and the report shows every problem at once instead of the first.
 */
import type { FeatureSpec } from '../core/types';
import { columnKind, isNumberLike } from './columns';
import { listColumns, type ColumnInfo } from './source';

export type DataCheckVerdict = 'pass' | 'warn' | 'fail';

export interface DataCheck {
  check: string;
  column?: string;
  verdict: DataCheckVerdict;
  value: number | string | null;
  threshold: number | string | null;
  evidence: string;
}

export interface DataCheckReport {
  ok: boolean;
  checks: DataCheck[];
}

/** What the previous (accepted) data looked like; unseen values are warnings, not failures. */
export interface ReferenceProfile {
  categories: Record<string, string[]>;
  ranges: Record<string, { min: number; max: number }>;
}

export interface DataCheckOptions {
  features: FeatureSpec[];
  label: string;
  timeColumn: string;
  idColumn?: string;
  minRows: number;
  /** Highest acceptable share of NULLs per feature; default 0.2. */
  maxNullRate?: number;
  /** Per-feature overrides of maxNullRate, by feature name. */
  maxNullRateByFeature?: Record<string, number>;
  labelRate?: { min: number; max: number };
  reference?: ReferenceProfile;
  /**
   * Share of rows outside the reference min/max tolerated before a warning; default 0.001. A min/max
   * profile is exceeded by a few rows in any fresh sample, so warning on one row would be noise.
   */
  maxOutOfRangeRate?: number;
  /** Share of rows with categories the reference never saw tolerated before a warning; default 0. */
  maxUnseenCategoryRate?: number;
}

export const DEFAULT_MAX_NULL_RATE = 0.2;
export const DEFAULT_MAX_OUT_OF_RANGE_RATE = 0.001;

/** One column the options name, with the role it plays and the config field that names it. */
export interface ColumnRole {
  name: string;
  role: 'feature' | 'label' | 'time' | 'id';
  featureType?: FeatureSpec['type'];
  configField: string;
  expected: string;
  accepts: (type: string) => boolean;
}

export function columnRoles(options: DataCheckOptions): ColumnRole[] {
  const roles: ColumnRole[] = options.features.map((f) =>
    f.type === 'numeric'
      ? { name: f.name, role: 'feature', featureType: f.type, configField: 'features.numeric', expected: 'a number', accepts: isNumberLike }
      : {
          name: f.name,
          role: 'feature',
          featureType: f.type,
          configField: 'features.categorical',
          expected: 'text, a boolean or an integer code',
          accepts: (t) => ['text', 'boolean', 'numeric'].includes(columnKind(t)),
        },
  );
  roles.push({ name: options.label, role: 'label', configField: 'label', expected: '0/1 numbers or booleans', accepts: isNumberLike });
  roles.push({
    name: options.timeColumn,
    role: 'time',
    configField: 'time_column',
    expected: 'a TIMESTAMP or DATE',
    accepts: (t) => columnKind(t) === 'time',
  });
  if (options.idColumn !== undefined) {
    roles.push({ name: options.idColumn, role: 'id', configField: 'id_column', expected: 'any scalar type', accepts: (t) => columnKind(t) !== 'other' });
  }
  return roles;
}

/** Roles whose column is present with a compatible type: only those are queried further. */
export function usableRoles(columns: ColumnInfo[], options: DataCheckOptions): ColumnRole[] {
  return columnRoles(options).filter((role) => {
    const column = columns.find((c) => c.name === role.name);
    return column !== undefined && role.accepts(column.type);
  });
}

/** Everything the verdicts need, gathered in a few SQL aggregates. */
export interface DataStats {
  file: string;
  columns: ColumnInfo[];
  rows: number;
  /** NULL count per usable feature. */
  nulls: Record<string, number>;
  label?: { labelled: number; positives: number; invalid: number; invalidExamples: string[] };
  ids?: { duplicates: number; examples: string[] };
  /** Per categorical feature with reference categories. */
  unseen: Record<string, { rows: number; examples: { value: string; rows: number }[] }>;
  /** Per numeric feature with a reference range. */
  outOfRange: Record<string, { below: number; above: number }>;
}

function percent(share: number): string {
  if (share === 0) return '0 %';
  // Small shares keep two significant digits: "0.0042 %" says more than "0.00 %".
  return `${share < 0.01 ? (100 * share).toPrecision(2) : (100 * share).toFixed(2)} %`;
}

function schemaChecks(stats: DataStats, options: DataCheckOptions): DataCheck[] {
  return columnRoles(options).map((role): DataCheck => {
    const column = stats.columns.find((c) => c.name === role.name);
    const what = role.role === 'feature' ? `${role.featureType} feature` : `${role.role} column`;
    if (!column) {
      return {
        check: 'schema',
        column: role.name,
        verdict: 'fail',
        value: null,
        threshold: role.expected,
        evidence:
          `The ${what} "${role.name}" (${role.configField}) is missing from ${stats.file}. ` +
          `Columns available: ${listColumns(stats.columns)}. ` +
          `Fix ${role.configField} in the model config, or the source that produced the data.`,
      };
    }
    if (!role.accepts(column.type)) {
      return {
        check: 'schema',
        column: role.name,
        verdict: 'fail',
        value: column.type,
        threshold: role.expected,
        evidence:
          `The ${what} "${role.name}" has type ${column.type} in ${stats.file}; it must be ${role.expected}. ` +
          `Fix the data, or ${role.configField} in the model config.`,
      };
    }
    return {
      check: 'schema',
      column: role.name,
      verdict: 'pass',
      value: column.type,
      threshold: role.expected,
      evidence: `The ${what} "${role.name}" is present as ${column.type}.`,
    };
  });
}

function nullRateChecks(stats: DataStats, options: DataCheckOptions): DataCheck[] {
  return Object.entries(stats.nulls).map(([name, nulls]): DataCheck => {
    const limit = options.maxNullRateByFeature?.[name] ?? options.maxNullRate ?? DEFAULT_MAX_NULL_RATE;
    const rate = stats.rows === 0 ? 0 : nulls / stats.rows;
    const failed = rate > limit;
    return {
      check: 'null_rate',
      column: name,
      verdict: failed ? 'fail' : 'pass',
      value: rate,
      threshold: limit,
      evidence:
        `${nulls} of ${stats.rows} rows (${percent(rate)}) of "${name}" are NULL; at most ${percent(limit)} allowed` +
        (failed ? `. Fix the source, or raise the limit for "${name}" if this is expected.` : '.'),
    };
  });
}

function minRowsCheck(stats: DataStats, options: DataCheckOptions): DataCheck {
  const failed = stats.rows < options.minRows;
  return {
    check: 'min_rows',
    verdict: failed ? 'fail' : 'pass',
    value: stats.rows,
    threshold: options.minRows,
    evidence: `${stats.rows} rows in the snapshot; at least ${options.minRows} required` + (failed ? ' (data_checks.min_rows). Check the pull window and the source.' : '.'),
  };
}

function labelChecks(stats: DataStats, options: DataCheckOptions): DataCheck[] {
  if (!stats.label) return [];
  const { labelled, positives, invalid, invalidExamples } = stats.label;
  const name = options.label;
  const checks: DataCheck[] = [
    {
      check: 'label_values',
      column: name,
      verdict: invalid > 0 ? 'fail' : 'pass',
      value: invalid,
      threshold: 0,
      evidence:
        invalid > 0
          ? `${invalid} rows of label "${name}" are neither 0, 1 nor NULL (e.g. ${invalidExamples.join(', ')}). Map the label to 0/1 in the source.`
          : `Every labelled row of "${name}" is 0 or 1.`,
    },
  ];
  const unlabelled = stats.rows - labelled;
  checks.push({
    check: 'label_nulls',
    column: name,
    verdict: unlabelled > 0 ? 'warn' : 'pass',
    value: stats.rows === 0 ? 0 : unlabelled / stats.rows,
    threshold: 0,
    evidence: `${unlabelled} of ${stats.rows} rows have no label "${name}" yet; they cannot be used for training or evaluation.`,
  });
  if (options.labelRate) {
    const { min, max } = options.labelRate;
    const valid = labelled - invalid;
    const rate = valid === 0 ? null : positives / valid;
    const failed = rate === null || rate < min || rate > max;
    checks.push({
      check: 'label_rate',
      column: name,
      verdict: failed ? 'fail' : 'pass',
      value: rate,
      threshold: `${min}..${max}`,
      evidence:
        rate === null
          ? `No row has a valid label "${name}", so the positive rate is unknown; expected ${percent(min)} to ${percent(max)}.`
          : `${positives} of ${valid} labelled rows are positive (${percent(rate)}); expected ${percent(min)} to ${percent(max)} (data_checks.label_rate).`,
    });
  }
  return checks;
}

function duplicateIdCheck(stats: DataStats, options: DataCheckOptions): DataCheck[] {
  if (!stats.ids || options.idColumn === undefined) return [];
  const { duplicates, examples } = stats.ids;
  return [
    {
      check: 'duplicate_ids',
      column: options.idColumn,
      verdict: duplicates > 0 ? 'fail' : 'pass',
      value: duplicates,
      threshold: 0,
      evidence:
        duplicates > 0
          ? `${duplicates} rows repeat an existing "${options.idColumn}" (e.g. ${examples.join(', ')}); each row must have its own id. Deduplicate the source.`
          : `Every "${options.idColumn}" is unique.`,
    },
  ];
}

function referenceChecks(stats: DataStats, options: DataCheckOptions): DataCheck[] {
  const checks: DataCheck[] = [];
  const share = (rows: number): number => (stats.rows === 0 ? 0 : rows / stats.rows);
  const unseenLimit = options.maxUnseenCategoryRate ?? 0;
  for (const [name, { rows, examples }] of Object.entries(stats.unseen)) {
    const listed = examples.map((e) => `${JSON.stringify(e.value)} (${e.rows})`).join(', ');
    checks.push({
      check: 'unseen_categories',
      column: name,
      verdict: share(rows) > unseenLimit ? 'warn' : 'pass',
      value: share(rows),
      threshold: unseenLimit,
      evidence:
        rows > 0
          ? `${rows} rows (${percent(share(rows))}) of "${name}" hold categories the reference never saw: ${listed}; ` +
            `tolerated: ${percent(unseenLimit)}. The model treats them as unknown.`
          : `Every value of "${name}" was seen in the reference.`,
    });
  }
  const rangeLimit = options.maxOutOfRangeRate ?? DEFAULT_MAX_OUT_OF_RANGE_RATE;
  for (const [name, { below, above }] of Object.entries(stats.outOfRange)) {
    const rows = below + above;
    const range = options.reference?.ranges[name];
    checks.push({
      check: 'out_of_range',
      column: name,
      verdict: share(rows) > rangeLimit ? 'warn' : 'pass',
      value: share(rows),
      threshold: rangeLimit,
      evidence:
        `${rows} rows (${percent(share(rows))}) of "${name}" lie outside the reference range ${range?.min}..${range?.max} ` +
        `(${below} below, ${above} above); tolerated: ${percent(rangeLimit)}.`,
    });
  }
  return checks;
}

export function evaluateDataChecks(stats: DataStats, options: DataCheckOptions): DataCheckReport {
  const checks = [
    ...schemaChecks(stats, options),
    minRowsCheck(stats, options),
    ...nullRateChecks(stats, options),
    ...labelChecks(stats, options),
    ...duplicateIdCheck(stats, options),
    ...referenceChecks(stats, options),
  ];
  return { ok: checks.every((c) => c.verdict !== 'fail'), checks };
}
