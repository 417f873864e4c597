/**
 * ratchet init: a starter model config written from the data itself. DuckDB profiles the file
 * (types, distinct and null counts, value counts of small categories, the label's values, the time
 * range); a pure function turns the profile into a proposal; another renders it as commented YAML.
 * The text is parsed with the real config parser before it is written, so a file `init` writes
 * always loads.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { DuckDBConnection } from '@duckdb/node-api';
import { stringify } from 'yaml';
import { parseModelConfig } from '../../core/config';
import { columnKind, type ColumnKind } from '../../data/columns';
import { quoteIdentifier, withDuckDB } from '../../data/duckdb';
import { fsyncPath, publishFile } from '../../data/files';
import { describeColumns, listColumns, type ColumnInfo, type Scan } from '../../data/source';
import { openDataFile } from '../data-file';
import { CliError, EXIT } from '../errors';
import { modelsDir } from '../model-config';
import { print } from './runs';

/** A column with at most this many values may be a segment; its values are counted. */
const MAX_SEGMENT_VALUES = 20;
/** Strings with more values than this are identifiers or free text, not categories. */
const MAX_CATEGORIES = 100;
const DAY_MS = 86_400_000;
const DEFAULT_LOOKBACK_DAYS = 56;

/** Column names that usually hold a protected attribute (matched as whole name or "_"-separated word). */
const PROTECTED_WORDS = ['gender', 'sex', 'race', 'ethnicity', 'ethnic', 'religion', 'nationality', 'citizenship', 'disability', 'marital', 'pregnancy', 'orientation', 'veteran'];
const PROTECTED_NAMES = /^(age_band|age_group|age_bucket|age_range|age_bracket|national_origin|marital_status|sexual_orientation)$/i;
/** Names that make a low-cardinality column a natural slice rather than just another input. */
const SEGMENT_WORDS = ['region', 'channel', 'country', 'market', 'segment', 'state', 'province', 'tier', 'product', 'platform', 'device', 'branch', 'source', 'plan', 'cohort'];
const ENTITY_WORDS = ['customer', 'user', 'account', 'client', 'member', 'entity', 'person', 'patient', 'device', 'household'];

export interface ColumnProfile extends ColumnInfo {
  kind: ColumnKind;
  integer: boolean;
  nonNull: number;
  distinct: number;
  /** Rows per value (null excluded), only for columns with at most MAX_SEGMENT_VALUES values. */
  values?: { value: string; rows: number }[];
}

export interface DataProfile {
  file: string;
  rows: number;
  columns: ColumnProfile[];
}

export interface LabelStats {
  positives: number;
  negatives: number;
  missing: number;
}

export interface TimeStats {
  from: string;
  to: string;
  spanDays: number;
  /** Rows in the last `lookbackDays` before the newest row: what one run would train on. */
  rowsInLookback: number;
  lookbackDays: number;
}

/** The --as-of that trains on everything up to and including the newest day of the data. */
export function asOfHint(time: TimeStats): string {
  return new Date(Date.parse(time.to.slice(0, 10)) + DAY_MS).toISOString().slice(0, 10);
}

export interface InitRequest {
  model: string;
  /** The `source.path` to write: the data file relative to the config file. */
  sourcePath: string;
  label: string;
  timeColumn: string;
  idColumn: string;
}

export interface Proposal extends InitRequest {
  rows: number;
  entityColumn: string | null;
  timeAlternatives: string[];
  positiveRate: number;
  numeric: string[];
  categorical: string[];
  excluded: { column: string; why: string }[];
  segments: string[];
  otherSegmentCandidates: string[];
  segmentMinRows: number;
  protectedSuggestions: string[];
  lookbackDays: number;
  minRows: number;
  maxNullRate: number;
  nullRateNote: string | null;
  labelRate: { min: number; max: number };
  minSliceRows: number;
  time: TimeStats;
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('write a starter model config from a data file: features, segments, time and id columns, label check, gates, approval')
    .argument('<model>', 'model name (lowercase letters, digits, "-", "_")')
    .requiredOption('--data <file>', 'Parquet or CSV file (or glob) with the features and the label')
    .requiredOption('--label <column>', 'label column (0/1)')
    .option('--out <file>', 'where to write the config (default: $RATCHET_MODELS_DIR/<model>.yaml, else models/<model>.yaml)')
    .option('--time-column <column>', 'the TIMESTAMP or DATE column (default: detected)')
    .option('--id-column <column>', 'the column with one unique value per row (default: detected)')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'print what was detected as JSON')
    .action(async (model: string, opts) => {
      if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(model)) {
        throw new CliError(`model name "${model}" is invalid: use 1-64 lowercase letters, digits, "-" or "_", starting with a letter or digit`, EXIT.usage);
      }
      const dataPath = path.resolve(opts.data);
      const out = path.resolve(opts.out ?? path.join(modelsDir(), `${model}.yaml`));
      const proposal = await inspectData({ model, dataPath, out, label: opts.label, timeColumn: opts.timeColumn, idColumn: opts.idColumn });
      const text = renderConfig(proposal, { dataPath, now: new Date() });
      const parsed = parseModelConfig(text, out);
      if (!parsed.ok) {
        // The renderer and the schema disagree: a bug here, never the user's data. Say so plainly.
        throw new Error(`ratchet init produced a config that does not load:\n${parsed.errors.map((e) => `  - ${e.field}: ${e.message}`).join('\n')}`);
      }
      await writeConfig(out, text, Boolean(opts.force));
      print(opts.json, summaryJson(proposal, out), () => summaryText(proposal, out));
    });
}

// ---- inspecting the data (DuckDB) ---------------------------------------------------------------

async function inspectData(input: { model: string; dataPath: string; out: string; label: string; timeColumn?: string; idColumn?: string }): Promise<Proposal> {
  return withDuckDB(async (connection) => {
    const scan = await openDataFile(connection, input.dataPath);
    const schema = await describeColumns(connection, scan);
    const profile = await profileColumns(connection, scan, schema, input.dataPath);
    if (profile.rows === 0) throw new CliError(`${input.dataPath} has no rows; init needs data to look at`, EXIT.usage);

    const label = checkLabelColumn(profile, input.label);
    const labelStats = await readLabelStats(connection, scan, label);
    const timeColumn = chooseTimeColumn(profile, input.timeColumn);
    const idColumn = chooseIdColumn(profile, input.idColumn, [label.name, timeColumn.chosen]);
    const time = await readTimeStats(connection, scan, timeColumn.chosen);
    const sourcePath = path.relative(path.dirname(input.out), input.dataPath) || path.basename(input.dataPath);
    return propose(profile, labelStats, time, {
      model: input.model,
      sourcePath,
      label: label.name,
      timeColumn: timeColumn.chosen,
      idColumn,
    }, timeColumn.others);
  });
}

/** One pass for row, non-null and distinct counts of every column, then value counts of small ones. */
async function profileColumns(connection: DuckDBConnection, scan: Scan, schema: ColumnInfo[], file: string): Promise<DataProfile> {
  const countable = schema.filter((c) => columnKind(c.type) !== 'other');
  const aggregates = countable.flatMap((c, i) => [`count(${quoteIdentifier(c.name)}) AS n${i}`, `count(DISTINCT ${quoteIdentifier(c.name)}) AS d${i}`]);
  const reader = await connection.runAndReadAll(`SELECT ${['count(*) AS rows', ...aggregates].join(', ')} FROM ${scan.sql}`, scan.params);
  const row = reader.getRowObjectsJS()[0]!;
  const rows = Number(row.rows);
  const columns: ColumnProfile[] = schema.map((c) => {
    const i = countable.indexOf(c);
    const kind = columnKind(c.type);
    return {
      ...c,
      kind,
      integer: kind === 'numeric' && /INT/.test(c.type),
      nonNull: i < 0 ? 0 : Number(row[`n${i}`]),
      distinct: i < 0 ? 0 : Number(row[`d${i}`]),
    };
  });
  for (const column of columns.filter((c) => c.kind === 'text' && c.distinct > 0 && c.distinct <= MAX_SEGMENT_VALUES)) {
    const counts = await connection.runAndReadAll(
      `SELECT CAST(${quoteIdentifier(column.name)} AS VARCHAR) AS value, count(*) AS rows FROM ${scan.sql} WHERE ${quoteIdentifier(column.name)} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1`,
      scan.params,
    );
    column.values = counts.getRowObjectsJS().map((r) => ({ value: String(r.value), rows: Number(r.rows) }));
  }
  return { file, rows, columns };
}

function checkLabelColumn(profile: DataProfile, name: string): ColumnProfile {
  const column = profile.columns.find((c) => c.name === name);
  if (!column) {
    throw new CliError(`label column "${name}" is not in ${profile.file}; columns available: ${listColumns(profile.columns)}`, EXIT.usage);
  }
  if (column.kind !== 'numeric' && column.kind !== 'boolean') {
    throw new CliError(
      `label column "${name}" has type ${column.type}; a Ratchet label holds 0/1 numbers or booleans (1 = the outcome the model predicts): convert it in the data first`,
      EXIT.usage,
    );
  }
  return column;
}

async function readLabelStats(connection: DuckDBConnection, scan: Scan, label: ColumnProfile): Promise<LabelStats> {
  const col = `CAST(${quoteIdentifier(label.name)} AS DOUBLE)`;
  const reader = await connection.runAndReadAll(
    `SELECT count(*) FILTER (WHERE ${col} = 1) AS positives, count(*) FILTER (WHERE ${col} = 0) AS negatives,
            count(*) FILTER (WHERE ${col} IS NULL) AS missing,
            list(DISTINCT ${col}) FILTER (WHERE ${col} NOT IN (0, 1)) AS others
       FROM ${scan.sql}`,
    scan.params,
  );
  const r = reader.getRowObjectsJS()[0]!;
  const others = ((r.others as number[] | null) ?? []).map(Number).sort((a, b) => a - b);
  if (others.length > 0) {
    const shown = others.slice(0, 8).join(', ');
    throw new CliError(
      `label column "${label.name}" is not binary: besides 0 and 1 it holds ${shown}${others.length > 8 ? `, … (${others.length} other values)` : ''}. ` +
        'Ratchet trains binary classifiers: map the label to 0/1 (1 = the outcome the model predicts) and run init again',
      EXIT.usage,
    );
  }
  const stats = { positives: Number(r.positives), negatives: Number(r.negatives), missing: Number(r.missing) };
  if (stats.positives === 0 || stats.negatives === 0) {
    throw new CliError(
      `label column "${label.name}" has only ${stats.positives === 0 ? 'zeros' : 'ones'} (${stats.positives + stats.negatives} labelled rows): a classifier needs both outcomes; check the column or the data`,
      EXIT.usage,
    );
  }
  return stats;
}

function chooseTimeColumn(profile: DataProfile, requested: string | undefined): { chosen: string; others: string[] } {
  const times = profile.columns.filter((c) => c.kind === 'time');
  if (requested !== undefined) {
    const column = profile.columns.find((c) => c.name === requested);
    if (!column) throw new CliError(`--time-column "${requested}" is not in ${profile.file}; columns available: ${listColumns(profile.columns)}`, EXIT.usage);
    if (column.kind !== 'time') {
      throw new CliError(`--time-column "${requested}" has type ${column.type}; it must be a TIMESTAMP or DATE (time columns: ${times.map((c) => c.name).join(', ') || 'none'})`, EXIT.usage);
    }
    return { chosen: requested, others: times.filter((c) => c.name !== requested).map((c) => c.name) };
  }
  if (times.length === 0) {
    throw new CliError(
      `${profile.file} has no TIMESTAMP or DATE column, and Ratchet splits data by time: add one (for CSV, write ISO-8601 times such as 2026-01-05 13:45:00), ` +
        `or pass --time-column. Columns: ${listColumns(profile.columns)}`,
      EXIT.usage,
    );
  }
  // Prefer the column that looks like the event time and is filled on every row.
  const score = (c: ColumnProfile) => (/(^|_)(at|time|timestamp|ts|date)$|^(event|created|occurred|applied)/i.test(c.name) ? 2 : 0) + (c.nonNull === profile.rows ? 1 : 0);
  const ranked = [...times].sort((a, b) => score(b) - score(a));
  return { chosen: ranked[0]!.name, others: ranked.slice(1).map((c) => c.name) };
}

function isIdType(c: ColumnProfile): boolean {
  return c.kind === 'text' || c.integer;
}

function chooseIdColumn(profile: DataProfile, requested: string | undefined, reserved: string[]): string {
  if (requested !== undefined) {
    const column = profile.columns.find((c) => c.name === requested);
    if (!column) throw new CliError(`--id-column "${requested}" is not in ${profile.file}; columns available: ${listColumns(profile.columns)}`, EXIT.usage);
    if (reserved.includes(requested)) throw new CliError(`--id-column "${requested}" is also the label or the time column; pick a column with one unique value per row`, EXIT.usage);
    if (column.distinct !== profile.rows) {
      throw new CliError(
        `--id-column "${requested}" is not unique: ${column.distinct} distinct values in ${profile.rows} rows${column.nonNull < profile.rows ? ` (${profile.rows - column.nonNull} missing)` : ''}; ` +
          'predictions, feedback and reports are keyed by it',
        EXIT.usage,
      );
    }
    return requested;
  }
  const unique = profile.columns.filter((c) => !reserved.includes(c.name) && isIdType(c) && c.nonNull === profile.rows && c.distinct === profile.rows);
  if (unique.length === 0) {
    throw new CliError(
      `no column of ${profile.file} has a unique string or integer value on every row; add a row id to the data or pass --id-column. Columns: ${listColumns(profile.columns)}`,
      EXIT.usage,
    );
  }
  const score = (c: ColumnProfile) => (/(^|_)(id|key|uuid)$/i.test(c.name) ? 2 : 0) + (c.kind === 'text' ? 1 : 0);
  return [...unique].sort((a, b) => score(b) - score(a))[0]!.name;
}

async function readTimeStats(connection: DuckDBConnection, scan: Scan, timeColumn: string): Promise<TimeStats> {
  const t = `CAST(${quoteIdentifier(timeColumn)} AS TIMESTAMP)`;
  const range = (await connection.runAndReadAll(`SELECT epoch_ms(min(${t})) AS lo, epoch_ms(max(${t})) AS hi FROM ${scan.sql}`, scan.params)).getRowObjectsJS()[0]!;
  if (range.lo === null || range.hi === null) throw new CliError(`time column "${timeColumn}" is empty on every row`, EXIT.usage);
  const lo = Number(range.lo);
  const hi = Number(range.hi);
  const spanDays = (hi - lo) / DAY_MS;
  // A run trains on the window before its as-of time: eight weeks, or the whole history when shorter.
  const lookbackDays = spanDays >= DEFAULT_LOOKBACK_DAYS ? DEFAULT_LOOKBACK_DAYS : Math.max(1, Math.ceil(spanDays) + 1);
  const inWindow = await connection.runAndReadAll(`SELECT count(*) AS n FROM ${scan.sql} WHERE epoch_ms(${t}) > $cut`, {
    ...scan.params,
    cut: hi - lookbackDays * DAY_MS,
  });
  return {
    from: new Date(lo).toISOString(),
    to: new Date(hi).toISOString(),
    spanDays,
    rowsInLookback: Number(inWindow.getRowObjectsJS()[0]!.n),
    lookbackDays,
  };
}

// ---- the proposal (pure) ------------------------------------------------------------------------

const words = (name: string) => name.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);

export function looksProtected(name: string): boolean {
  return PROTECTED_NAMES.test(name) || words(name).some((w) => PROTECTED_WORDS.includes(w));
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** What a config for this data should say; every choice here is explained by a comment in the YAML. */
export function propose(profile: DataProfile, label: LabelStats, time: TimeStats, request: InitRequest, timeAlternatives: string[]): Proposal {
  const { rows } = profile;
  const reserved = new Set([request.label, request.timeColumn, request.idColumn]);
  const excluded: Proposal['excluded'] = [];

  const entity = profile.columns
    .filter((c) => !reserved.has(c.name) && isIdType(c) && c.distinct < c.nonNull && c.distinct >= 0.5 * c.nonNull && c.nonNull > 0)
    .filter((c) => /(^|_)(id|key)$/i.test(c.name))
    .sort((a, b) => Number(words(b.name).some((w) => ENTITY_WORDS.includes(w))) - Number(words(a.name).some((w) => ENTITY_WORDS.includes(w))))[0];
  if (entity) reserved.add(entity.name);

  const protectedSuggestions: string[] = [];
  const numeric: string[] = [];
  const categorical: string[] = [];
  for (const c of profile.columns) {
    if (reserved.has(c.name)) continue;
    if (looksProtected(c.name)) {
      protectedSuggestions.push(c.name);
      continue;
    }
    // 'other' first: such columns (lists, structs, blobs) are not counted, so they look empty.
    if (c.kind === 'other') excluded.push({ column: c.name, why: `type ${c.type} is neither a number nor a category` });
    else if (c.nonNull === 0) excluded.push({ column: c.name, why: 'empty on every row' });
    else if (c.kind === 'time') excluded.push({ column: c.name, why: `a raw ${c.type} is no model input; derive a duration from it if it matters` });
    else if (c.distinct === 1) excluded.push({ column: c.name, why: 'the same value on every row' });
    else if (c.kind === 'numeric' || c.kind === 'boolean') {
      if (c.integer && c.distinct === c.nonNull && c.nonNull === rows) excluded.push({ column: c.name, why: 'a unique integer per row: an identifier' });
      else numeric.push(c.name);
    } else if (c.distinct > MAX_CATEGORIES || c.distinct > 0.5 * c.nonNull) {
      excluded.push({ column: c.name, why: `${c.distinct} distinct strings: an identifier or free text, not a category` });
    } else categorical.push(c.name);
  }

  // Slices worth reporting: a handful of values, each common enough to measure on a holdout.
  const segmentMinRows = Math.max(50, Math.ceil(rows * 0.01));
  const sliceable = profile.columns.filter(
    (c) => categorical.includes(c.name) && c.values !== undefined && c.values.length >= 2 && c.values.every((v) => v.rows >= segmentMinRows),
  );
  const named = sliceable.filter((c) => words(c.name).some((w) => SEGMENT_WORDS.includes(w)));
  const segments = (named.length ? named : sliceable.slice().sort((a, b) => a.distinct - b.distinct).slice(0, 3)).map((c) => c.name);
  const otherSegmentCandidates = sliceable.map((c) => c.name).filter((n) => !segments.includes(n));

  const features = new Set([...numeric, ...categorical]);
  const worst = profile.columns.filter((c) => features.has(c.name)).map((c) => ({ name: c.name, rate: 1 - c.nonNull / rows })).sort((a, b) => b.rate - a.rate)[0];
  const maxNullRate = worst && worst.rate > 0.15 ? Math.min(1, Math.ceil((worst.rate + 0.05) * 20) / 20) : 0.2;

  const labelled = label.positives + label.negatives;
  const positiveRate = label.positives / labelled;
  const expectedWindowRows = time.rowsInLookback;
  const holdoutRows = Math.floor(expectedWindowRows * 0.2);

  return {
    ...request,
    rows,
    entityColumn: entity?.name ?? null,
    timeAlternatives,
    positiveRate,
    numeric,
    categorical,
    excluded,
    segments,
    otherSegmentCandidates,
    segmentMinRows,
    protectedSuggestions,
    lookbackDays: time.lookbackDays,
    // Half of what a full window holds today: fewer means the pull broke, not that traffic dipped.
    minRows: Math.max(1, Math.min(5000, Math.floor(expectedWindowRows / 2))),
    maxNullRate,
    nullRateNote: worst && worst.rate > 0.15 ? `${worst.name} is ${round(worst.rate * 100, 1)} % empty` : null,
    labelRate: { min: round(Math.floor((positiveRate / 2) * 1000) / 1000, 3), max: round(Math.min(1, Math.ceil(positiveRate * 2 * 1000) / 1000), 3) },
    // Ten slices' worth of the holdout, within sensible bounds: smaller slices are insufficient_data.
    minSliceRows: Math.max(30, Math.min(200, Math.floor(holdoutRows / 10))),
    time,
  };
}

// ---- rendering (pure) ---------------------------------------------------------------------------

const scalar = (value: string | number) => stringify(value, { lineWidth: 0 }).trimEnd();
const flow = (items: string[]) => `[${items.map(scalar).join(', ')}]`;
const count = (n: number) => n.toLocaleString('en-US');

export function renderConfig(p: Proposal, context: { dataPath: string; now: Date }): string {
  const lines: string[] = [];
  const add = (...more: string[]) => lines.push(...more);
  add(
    `# Ratchet model config for "${p.model}", written by \`ratchet init\` on ${context.now.toISOString().slice(0, 10)}`,
    `# from ${context.dataPath} (${count(p.rows)} rows, ${p.time.from.slice(0, 10)} to ${p.time.to.slice(0, 10)}).`,
    '# A starting point: review every section, then run it with',
    `#   ratchet retrain --model ${p.model} --config <this file> --as-of ${asOfHint(p.time)}`,
    '# examples/credit/credit.yaml is a complete example; README.md lists every key.',
    `model: ${p.model}`,
    'description: ""          # one sentence: what the model predicts, for whom',
    'owner: ""                # the team accountable for it in production',
    'intended_use: ""         # what its scores may and may not be used for',
    'limitations: []',
    '',
    '# Where every run pulls its data from: a Parquet or CSV glob, relative to this file.',
    'source:',
    '  kind: files',
    `  path: ${scalar(p.sourcePath)}`,
    '# Runs split by this column: train on the older rows, hold out the most recent ones.',
    `time_column: ${scalar(p.timeColumn)}${p.timeAlternatives.length ? `   # other time columns: ${p.timeAlternatives.join(', ')}` : ''}`,
    '# One unique value per row: predictions, feedback and reports are keyed by it.',
    `id_column: ${scalar(p.idColumn)}`,
  );
  if (p.entityColumn) {
    add('# Rows of the same customer/account share this value: canary traffic is split by a hash of it, so', '# one entity always sees one model version.', `entity_column: ${scalar(p.entityColumn)}`);
  }
  add(
    `# 0/1, 1 = the outcome the model predicts. ${round(p.positiveRate * 100, 2)} % of labelled rows are 1.`,
    `label: ${scalar(p.label)}`,
    '',
    '# Model inputs, typed from the data: numbers, and strings with a modest number of values.',
  );
  if (p.excluded.length) {
    add('# Left out:', ...p.excluded.map((e) => `#   ${e.column}: ${e.why}`));
  }
  add('features:', `  numeric: ${flow(p.numeric)}`, `  categorical: ${flow(p.categorical)}`);
  add(
    '# Slices: metrics per value of these columns in every report, and the per-slice regression gate.',
    `# Each has 2-${MAX_SEGMENT_VALUES} values, every value on at least ${count(p.segmentMinRows)} rows.`,
  );
  if (p.otherSegmentCandidates.length) add(`# Also sliceable: ${p.otherSegmentCandidates.join(', ')}`);
  add(`segments: ${flow(p.segments)}`);
  if (p.protectedSuggestions.length) {
    add(
      '# Protected attributes for the fairness gate. These columns look protected by their names, so they',
      '# are kept out of the features; confirm the list with whoever owns fairness for this model, then',
      '# uncomment it (until then the fairness gate reports "skipped"):',
      `# protected: ${flow(p.protectedSuggestions)}`,
    );
  } else {
    add('# Protected attributes for the fairness gate (none found by name): list them if the data has any.', 'protected: []');
  }
  add(
    '',
    '# Each run trains on this much history before its as-of time.',
    'window:',
    `  lookback: ${p.lookbackDays}d`,
    '# The most recent fraction of the window is the holdout; the next most recent, validation.',
    'split:',
    '  holdout_fraction: 0.2',
    '  valid_fraction: 0.2',
    '# A broken pull fails here, before training. Bounds from the data as it is today:',
    `# a full window holds about ${count(p.time.rowsInLookback)} rows.`,
    'data_checks:',
    `  min_rows: ${p.minRows}`,
    `  max_null_rate: ${p.maxNullRate}${p.nullRateNote ? `   # ${p.nullRateNote}` : ''}`,
    `  label_rate: { min: ${p.labelRate.min}, max: ${p.labelRate.max} }   # observed ${round(p.positiveRate, 4)}`,
    '',
    '# The built-in logistic regression: preprocessing (imputation, scaling, one-hot) is in the ONNX graph.',
    'trainer:',
    '  kind: builtin-logistic',
    '  params: { l2: 1.0 }',
    '# score >= threshold predicts 1.',
    'threshold: 0.5',
    '',
    '# Paired bootstrap for confidence intervals; slices smaller than min_slice_rows are insufficient_data.',
    'evaluation:',
    '  bootstrap: 500',
    '  seed: 7',
    `  min_slice_rows: ${p.minSliceRows}`,
    '',
    '# Gates: a blocking failure rejects the candidate; blocking: false only warns in the report.',
    '# Starting points: set min_performance to what the business needs once `ratchet evaluate` shows',
    '# what the model achieves.',
    'gates:',
    '  min_performance: { metric: auc, min: 0.6 }',
    '  non_regression: { metric: auc, max_drop: 0.01 }',
  );
  if (p.segments.length) add(`  slice_non_regression: { metric: auc, max_drop: 0.03, min_rows: ${p.minSliceRows}, blocking: false }`);
  add(
    '  fairness: { max_demographic_parity_difference: 0.1, min_disparate_impact_ratio: 0.8, blocking: false }',
    '  calibration: { max_ece: 0.05, blocking: false }',
    '  churn: { max: 0.1, blocking: false }',
    '',
    '# Who may approve a candidate after reading its report (never the person who started the run),',
    '# and who may override a gate. Replace the placeholders with real user names.',
    'approval:',
    '  approvers: [approver-one, approver-two]',
    '  admins: []',
    '  expiry: 7d               # an undecided candidate is rejected after this',
    '',
    '# Staged promotion: without a promotion section, shadow 24 h, then canaries of 5 %, 25 % and 50 %',
    '# for at least 48 h and 5,000 requests each, then a 24 h watch at 100 %. See examples/credit/credit.yaml.',
    '',
  );
  return lines.join('\n');
}

// ---- writing ------------------------------------------------------------------------------------

/** Published whole (temporary file, fsync, then link or rename) so no one reads half a config. */
async function writeConfig(out: string, text: string, force: boolean): Promise<void> {
  await mkdir(path.dirname(out), { recursive: true });
  const temporary = path.join(path.dirname(out), `.tmp-${randomBytes(6).toString('hex')}-${path.basename(out)}`);
  await writeFile(temporary, text);
  if (force) {
    await publishFile(temporary, out);
    return;
  }
  try {
    await fsyncPath(temporary);
    // link() refuses an existing name atomically: no window where a check passes and a write clobbers.
    await link(temporary, out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(`${out} already exists; pass --force to overwrite it, or --out FILE to write elsewhere`, EXIT.failed);
    }
    throw err;
  } finally {
    await rm(temporary, { force: true });
  }
  await fsyncPath(path.dirname(out));
}

function summaryJson(p: Proposal, out: string) {
  return {
    config: out,
    model: p.model,
    rows: p.rows,
    time_column: p.timeColumn,
    id_column: p.idColumn,
    entity_column: p.entityColumn,
    label: p.label,
    positive_rate: p.positiveRate,
    features: { numeric: p.numeric, categorical: p.categorical },
    excluded: p.excluded,
    segments: p.segments,
    protected_suggested: p.protectedSuggestions,
    suggested_as_of: asOfHint(p.time),
  };
}

function summaryText(p: Proposal, out: string): string {
  return [
    `wrote ${out}`,
    `  rows        ${count(p.rows)} (${p.time.from.slice(0, 10)} to ${p.time.to.slice(0, 10)})`,
    `  label       ${p.label} (${round(p.positiveRate * 100, 2)} % positive)`,
    `  time / id   ${p.timeColumn} / ${p.idColumn}${p.entityColumn ? `   entity ${p.entityColumn}` : ''}`,
    `  features    ${p.numeric.length} numeric, ${p.categorical.length} categorical${p.excluded.length ? `; left out ${p.excluded.map((e) => e.column).join(', ')}` : ''}`,
    `  segments    ${p.segments.join(', ') || '—'}`,
    ...(p.protectedSuggestions.length ? [`  protected?  ${p.protectedSuggestions.join(', ')} (commented out: review and uncomment)`] : []),
    'Next: fill in description, owner and the approvers, then',
    `  ratchet retrain --model ${p.model} --config ${path.relative(process.cwd(), out) || out} --as-of ${asOfHint(p.time)}`,
  ].join('\n');
}
