/**
 * Reading the serving worker's prediction and feedback logs back for analysis (live comparison
 * of champion and candidate, live quality once labels arrive, drift of live inputs).
 *
 * One query shape for both places the log can live: DuckDB over the Parquet segments of the time
 * range (read_parquet with the list of files; no segment yet is zero rows, not an error), or the
 * PostgreSQL tables. Results are columns: typed arrays for numbers (NaN for missing, times as
 * epoch ms), arrays for text. Rows come ordered by time, then request id, then role.
 *
 * Ground truth is joined in process by one pure function (joinLabels), the same for both stores:
 * readPredictionLog returns every prediction with its label from feedback, if any, and the label
 * coverage.
 */
import { listValue, type DuckDBValue } from '@duckdb/node-api';
import type { ColumnTable, FeatureSpec } from '../core/types';
import { assertModelName } from '../registry/store';
import { withDuckDB } from './duckdb';
import { listSegments } from './prediction-log-parquet';
import { PgLogStore } from './prediction-log-pg';
import { PREDICTION_ROLES, toEpochMs, type LogLocation, type LogStream, type PredictionRole, type PredictionStatus } from './prediction-log-format';

export type TimeInput = Date | string | number;

export interface PredictionLogQuery {
  model: string;
  /** Inclusive. */
  from: TimeInput;
  /** Exclusive. */
  to: TimeInput;
  /** Default: every role. */
  roles?: PredictionRole[];
  /** Default: every version. */
  versions?: number[];
}

export interface FeedbackQuery {
  model: string;
  from: TimeInput;
  /** Exclusive; default: no upper bound (labels keep arriving after the predictions). */
  to?: TimeInput;
}

/** The predictions as logged, before ground truth is joined. */
export interface PredictionRows {
  rowCount: number;
  requestId: string[];
  entityId: (string | null)[];
  version: Int32Array;
  role: PredictionRole[];
  score: Float64Array; // NaN where status is 'error'
  label: Float64Array; // predicted class 1/0; NaN on error
  latencyMs: Float64Array;
  status: PredictionStatus[];
  error: (string | null)[];
  at: Float64Array; // epoch ms
}

export interface FeedbackLog {
  rowCount: number;
  requestId: (string | null)[];
  entityId: (string | null)[];
  label: Float64Array; // 0/1
  at: Float64Array; // epoch ms
  receivedAt: Float64Array; // epoch ms
}

export type LabelMatch = 'request_id' | 'entity_id';

export interface PredictionLog extends PredictionRows {
  /** Ground truth 0/1 from feedback; NaN where none matched. */
  groundTruth: Float64Array;
  matchedBy: (LabelMatch | null)[];
  coverage: { rows: number; labelled: number; byRequestId: number; byEntityId: number; share: number };
}

// ---------------------------------------------------------------------------------------------
// Public readers

/**
 * The window's predictions with their ground truth, joined by joinLabels from the feedback sent
 * from the window's start on (up to `feedbackTo`, default: everything received so far).
 */
export async function readPredictionLog(query: LogLocation & PredictionLogQuery & { feedbackTo?: TimeInput }): Promise<PredictionLog> {
  const [predictions, feedback] = await Promise.all([readPredictionRows(query), readFeedback({ ...query, to: query.feedbackTo })]);
  return joinLabels(predictions, feedback);
}

/** The window's predictions as logged, without ground truth. */
export async function readPredictionRows(query: LogLocation & PredictionLogQuery): Promise<PredictionRows> {
  const window = checkWindow(query.from, query.to);
  const roles = checkRoles(query.roles);
  const columns = await select(query, 'predictions', window, (d, p) => ({
    columns: [
      'request_id',
      'entity_id',
      'CAST(version AS INTEGER)',
      'role',
      'CAST(score AS DOUBLE PRECISION)',
      'CAST(CAST(label AS INTEGER) AS DOUBLE PRECISION)',
      'CAST(latency_ms AS DOUBLE PRECISION)',
      'status',
      'error',
      d.epochMs('"at"'),
    ],
    where: filters(d, p, roles, query.versions),
    orderBy: '"at", request_id, role',
  }));
  return {
    rowCount: columns.rowCount,
    requestId: columns.text(0) as string[],
    entityId: columns.text(1),
    version: Int32Array.from(columns.number(2)),
    role: columns.text(3) as PredictionRole[],
    score: columns.number(4),
    label: columns.number(5),
    latencyMs: columns.number(6),
    status: columns.text(7) as PredictionStatus[],
    error: columns.text(8),
    at: columns.number(9),
  };
}

export async function readFeedback(query: LogLocation & FeedbackQuery): Promise<FeedbackLog> {
  const window = checkWindow(query.from, query.to ?? Number.POSITIVE_INFINITY);
  const columns = await select(query, 'feedback', window, (d) => ({
    columns: ['request_id', 'entity_id', 'CAST(label AS DOUBLE PRECISION)', d.epochMs('"at"'), d.epochMs('received_at')],
    where: [],
    orderBy: '"at", received_at',
  }));
  return {
    rowCount: columns.rowCount,
    requestId: columns.text(0),
    entityId: columns.text(1),
    label: columns.number(2),
    at: columns.number(3),
    receivedAt: columns.number(4),
  };
}

/**
 * The logged inputs of the window as a ColumnTable for `features` (numbers as Float64Array with
 * NaN for missing or non-numeric, categories as string or null). Roles: champion and candidate,
 * the traffic actually served (the default); shadow rows carry no features of their own (they
 * mirror the served rows with the same request ids), so asking for them is an error.
 */
export async function readLoggedFeatures(query: LogLocation & PredictionLogQuery & { features: FeatureSpec[] }): Promise<ColumnTable> {
  const window = checkWindow(query.from, query.to);
  const roles = checkRoles(query.roles ?? ['champion', 'candidate']);
  if (roles?.includes('shadow')) {
    throw new Error('readLoggedFeatures: roles includes "shadow", whose rows log no features (they mirror the served rows with the same request_id): read roles champion and candidate');
  }
  if (query.features.length === 0) throw new Error('readLoggedFeatures: "features" is empty: pass the FeatureSpec[] of the model version');
  const columns = await select(query, 'predictions', window, (d, p) => ({
    columns: query.features.map((f) => (f.type === 'numeric' ? d.numberFeature(p(d.featureKey(f.name))) : d.textFeature(p(d.featureKey(f.name))))),
    where: filters(d, p, roles, query.versions),
    orderBy: '"at", request_id, role',
  }));
  const table: ColumnTable = { rowCount: columns.rowCount, columns: {} };
  query.features.forEach((f, i) => (table.columns[f.name] = f.type === 'numeric' ? columns.number(i) : columns.text(i)));
  return table;
}

// ---------------------------------------------------------------------------------------------
// Joining ground truth (pure)

/**
 * Each prediction's ground truth: the feedback sent for its request_id (the latest one, when it
 * was corrected); else, by its entity_id, the latest feedback for that entity at or after the
 * prediction's time. Feedback carrying both ids counts for both rules. Rows without either stay
 * NaN and count against coverage.
 */
export function joinLabels(predictions: PredictionRows, feedback: FeedbackLog): PredictionLog {
  const byRequest = new Map<string, number>();
  const latestByEntity = new Map<string, number>();
  const later = (a: number, b: number) =>
    feedback.at[a] > feedback.at[b] || (feedback.at[a] === feedback.at[b] && (feedback.receivedAt[a] > feedback.receivedAt[b] || (feedback.receivedAt[a] === feedback.receivedAt[b] && a > b)));
  for (let i = 0; i < feedback.rowCount; i++) {
    const request = feedback.requestId[i];
    if (request !== null) {
      const seen = byRequest.get(request);
      if (seen === undefined || later(i, seen)) byRequest.set(request, i);
    }
    const entity = feedback.entityId[i];
    if (entity !== null) {
      const seen = latestByEntity.get(entity);
      if (seen === undefined || later(i, seen)) latestByEntity.set(entity, i);
    }
  }

  const n = predictions.rowCount;
  const groundTruth = new Float64Array(n).fill(Number.NaN);
  const matchedBy: (LabelMatch | null)[] = new Array(n).fill(null);
  let byRequestId = 0;
  let byEntityId = 0;
  for (let r = 0; r < n; r++) {
    const viaRequest = byRequest.get(predictions.requestId[r]);
    if (viaRequest !== undefined) {
      groundTruth[r] = feedback.label[viaRequest];
      matchedBy[r] = 'request_id';
      byRequestId++;
      continue;
    }
    const entity = predictions.entityId[r];
    const viaEntity = entity === null ? undefined : latestByEntity.get(entity);
    if (viaEntity !== undefined && feedback.at[viaEntity] >= predictions.at[r]) {
      groundTruth[r] = feedback.label[viaEntity];
      matchedBy[r] = 'entity_id';
      byEntityId++;
    }
  }
  const labelled = byRequestId + byEntityId;
  return { ...predictions, groundTruth, matchedBy, coverage: { rows: n, labelled, byRequestId, byEntityId, share: n === 0 ? 0 : labelled / n } };
}

// ---------------------------------------------------------------------------------------------
// One query shape, two stores

interface Window {
  fromMs: number;
  toMs: number; // may be +Infinity
}

/** What differs between DuckDB and PostgreSQL in these queries. */
interface Dialect {
  epochMs(column: string): string;
  list(values: unknown[]): unknown;
  featureKey(name: string): unknown;
  numberFeature(keyParam: string): string;
  textFeature(keyParam: string): string;
}

const duckdb: Dialect = {
  epochMs: (c) => `CAST(epoch_ms(${c}) AS DOUBLE PRECISION)`,
  list: (values) => listValue(values as DuckDBValue[]),
  // A JSON pointer: "~" and "/" escaped, so any feature name is one key.
  featureKey: (name) => `/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`,
  numberFeature: (k) => `TRY_CAST(json_extract_string(features, ${k}) AS DOUBLE PRECISION)`,
  textFeature: (k) => `json_extract_string(features, ${k})`,
};

const postgres: Dialect = {
  epochMs: (c) => `CAST(extract(epoch FROM ${c}) * 1000 AS DOUBLE PRECISION)`,
  list: (values) => values,
  featureKey: (name) => name,
  numberFeature: (k) => `CASE WHEN jsonb_typeof(features::jsonb -> ${k}) = 'number' THEN (features::jsonb ->> ${k})::double precision END`,
  textFeature: (k) => `features::jsonb ->> ${k}`,
};

/** Binds a value and returns its placeholder. */
type Bind = (value: unknown) => string;

interface SelectPlan {
  columns: string[];
  where: string[];
  orderBy: string;
}

function filters(d: Dialect, bind: Bind, roles: PredictionRole[] | undefined, versions: number[] | undefined): string[] {
  const where: string[] = [];
  if (roles) where.push(`role = ANY(CAST(${bind(d.list(roles))} AS VARCHAR[]))`);
  if (versions) {
    versions.forEach((v, i) => {
      if (!Number.isSafeInteger(v) || v < 1) throw new Error(`versions[${i}] ${JSON.stringify(v)} is invalid: versions are positive integers`);
    });
    where.push(`version = ANY(CAST(${bind(d.list(versions))} AS INTEGER[]))`);
  }
  return where;
}

interface ResultColumns {
  rowCount: number;
  number(i: number): Float64Array;
  text(i: number): (string | null)[];
}

async function select(
  location: LogLocation & { model: string },
  stream: LogStream,
  window: Window,
  plan: (d: Dialect, bind: Bind) => SelectPlan,
): Promise<ResultColumns> {
  assertModelName(location.model);
  if ('logDir' in location) {
    const files = await listSegments(location.logDir, location.model, stream, window.fromMs, window.toMs);
    if (files.length === 0) return emptyColumns();
    return withDuckDB(
      async (connection) => {
        const params: unknown[] = [duckdb.list(files)];
        const { sql, columnCount } = buildSql(duckdb, 'read_parquet($1, union_by_name = true)', location.model, window, params, plan);
        const result = await connection.run(sql, params as DuckDBValue[]);
        const builder = new ColumnBuilder(columnCount);
        for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
          const vectors = Array.from({ length: result.columnCount }, (_, c) => chunk.getColumnVector(c));
          builder.add(chunk.rowCount, (c, r) => vectors[c].getItem(r));
        }
        return builder.finish();
      },
      { threads: 1 },
    );
  }
  const store = new PgLogStore({ url: location.url, schema: location.schema, poolSize: 1 });
  try {
    const params: unknown[] = [];
    const { sql, columnCount } = buildSql(postgres, store.table(stream), location.model, window, params, plan);
    const rows = await store.queryRows(sql, params);
    const builder = new ColumnBuilder(columnCount);
    builder.add(rows.length, (c, r) => rows[r][c]);
    return builder.finish();
  } finally {
    await store.close();
  }
}

function buildSql(
  d: Dialect,
  from: string,
  model: string,
  window: Window,
  params: unknown[],
  plan: (d: Dialect, bind: Bind) => SelectPlan,
): { sql: string; columnCount: number } {
  const bind: Bind = (value) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = [`model = ${bind(model)}`, `"at" >= CAST(${bind(new Date(window.fromMs).toISOString())} AS TIMESTAMPTZ)`];
  if (Number.isFinite(window.toMs)) where.push(`"at" < CAST(${bind(new Date(window.toMs).toISOString())} AS TIMESTAMPTZ)`);
  const { columns, where: more, orderBy } = plan(d, bind);
  return { sql: `SELECT ${columns.join(', ')} FROM ${from} WHERE ${[...where, ...more].join(' AND ')} ORDER BY ${orderBy}`, columnCount: columns.length };
}

/** Collects result values column by column; numbers into growable typed arrays (null → NaN). */
class ColumnBuilder {
  private readonly values: unknown[][];
  private rows = 0;

  constructor(columnCount: number) {
    this.values = Array.from({ length: columnCount }, () => []);
  }

  add(rowCount: number, get: (column: number, row: number) => unknown): void {
    for (let c = 0; c < this.values.length; c++) {
      const into = this.values[c];
      for (let r = 0; r < rowCount; r++) into.push(get(c, r));
    }
    this.rows += rowCount;
  }

  finish(): ResultColumns {
    const { values, rows } = this;
    return {
      rowCount: rows,
      number: (i) => Float64Array.from(values[i], (v) => (v === null || v === undefined ? Number.NaN : Number(v))),
      text: (i) => values[i].map((v) => (v === null || v === undefined ? null : String(v))),
    };
  }
}

function emptyColumns(): ResultColumns {
  return { rowCount: 0, number: () => new Float64Array(0), text: () => [] };
}

function checkWindow(from: TimeInput, to: TimeInput): Window {
  const fromMs = toEpochMs(from, 'from');
  const toMs = to === Number.POSITIVE_INFINITY ? to : toEpochMs(to, 'to');
  if (!(toMs > fromMs)) throw new Error(`the time window is empty: "to" (${new Date(toMs).toISOString()}) must be after "from" (${new Date(fromMs).toISOString()})`);
  return { fromMs, toMs };
}

function checkRoles(roles: PredictionRole[] | undefined): PredictionRole[] | undefined {
  roles?.forEach((role, i) => {
    if (!PREDICTION_ROLES.includes(role)) throw new Error(`roles[${i}] ${JSON.stringify(role)} is invalid: use ${PREDICTION_ROLES.join(', ')}`);
  });
  return roles;
}
