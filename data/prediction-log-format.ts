/**
 * What the serving worker logs and where: the records of the prediction and feedback streams,
 * their columns (the same in Parquet and in PostgreSQL), the segment file layout, and which
 * location a process uses. Pure: no I/O here, so writers and readers agree by construction.
 *
 * Layout of the Parquet log (one file per flush, per model and UTC hour of the rows' `at`):
 *   <logDir>/<model>/predictions/<yyyy-mm-dd>/<hh>-<seq>-<workerId>.parquet
 *   <logDir>/<model>/feedback/<yyyy-mm-dd>/<hh>-<seq>-<workerId>.parquet
 * Files appear whole (temp name, fsync, rename). A crash may leave a `.tmp-…` file behind: it
 * never matches SEGMENT_FILE, so readers skip it.
 */
import path from 'node:path';
import type { RatchetPaths } from '../core/paths';
import { redactConnectionString } from '../registry/pg-store';

export type PredictionRole = 'champion' | 'candidate' | 'shadow';
export type PredictionStatus = 'ok' | 'error';
export const PREDICTION_ROLES: readonly PredictionRole[] = ['champion', 'candidate', 'shadow'];

/**
 * One scored row as the worker buffers it. Field names are the column names. `features` is the
 * request's own feature object (not copied: it is never mutated after parsing) and becomes JSON
 * text only when a flush writes it, off the response path. Shadow rows have null features: they
 * mirror the served row with the same request_id, which holds the inputs.
 */
export interface PredictionRecord {
  request_id: string; // the response's request_id; batch rows: `<request_id>#<index>`
  entity_id: string | null;
  model: string;
  version: number;
  role: PredictionRole;
  features: unknown; // null on shadow rows (see above)
  score: number | null; // null when status is 'error'
  label: boolean | null; // score >= the version's threshold; null on error
  latency_ms: number; // the model call, as this request waited for it
  status: PredictionStatus;
  error: string | null;
  at: number; // epoch milliseconds
}

/** Delayed ground truth for one prediction (request_id) or one entity (entity_id). */
export interface FeedbackRecord {
  model: string;
  request_id: string | null;
  entity_id: string | null;
  label: 0 | 1;
  at: number; // epoch ms: when the outcome happened (the client's `at`, else when it was received)
  received_at: number; // epoch ms
}

export type LogStream = 'predictions' | 'feedback';
export type LogRecord<S extends LogStream> = S extends 'predictions' ? PredictionRecord : FeedbackRecord;

export interface LogColumn {
  name: string;
  /** DuckDB type of the column in Parquet; times are epoch ms in a record and TIMESTAMPTZ on disk. */
  duckdb: 'VARCHAR' | 'INTEGER' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMPTZ';
  /** PostgreSQL type of the same column. */
  pg: 'text' | 'integer' | 'double precision' | 'boolean' | 'timestamptz';
  nullable: boolean;
  /** The record holds a JSON value (the features object); the column holds its JSON text. */
  json?: true;
}

const col = (name: string, duckdb: LogColumn['duckdb'], nullable = false): LogColumn => ({
  name,
  duckdb,
  pg: ({ VARCHAR: 'text', INTEGER: 'integer', DOUBLE: 'double precision', BOOLEAN: 'boolean', TIMESTAMPTZ: 'timestamptz' } as const)[duckdb],
  nullable,
});

export const LOG_COLUMNS: { readonly [S in LogStream]: readonly LogColumn[] } = {
  predictions: [
    col('request_id', 'VARCHAR'),
    col('entity_id', 'VARCHAR', true),
    col('model', 'VARCHAR'),
    col('version', 'INTEGER'),
    col('role', 'VARCHAR'),
    { ...col('features', 'VARCHAR', true), json: true }, // null on shadow rows
    col('score', 'DOUBLE', true),
    col('label', 'BOOLEAN', true),
    col('latency_ms', 'DOUBLE'),
    col('status', 'VARCHAR'),
    col('error', 'VARCHAR', true),
    col('at', 'TIMESTAMPTZ'),
  ],
  feedback: [
    col('model', 'VARCHAR'),
    col('request_id', 'VARCHAR', true),
    col('entity_id', 'VARCHAR', true),
    col('label', 'INTEGER'),
    col('at', 'TIMESTAMPTZ'),
    col('received_at', 'TIMESTAMPTZ'),
  ],
};

// ---------------------------------------------------------------------------------------------
// Segment files

/** `<hh>-<seq>-<workerId>.parquet`; seq is zero-padded so names sort in write order. */
export const SEGMENT_FILE = /^([0-2][0-9])-([0-9]{6,})-([A-Za-z0-9_.-]+)\.parquet$/;
const DAY_DIR = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const WORKER_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;
const HOUR_MS = 3_600_000;

export function assertWorkerId(id: string): void {
  if (!WORKER_ID.test(id)) {
    throw new Error(`worker id ${JSON.stringify(id)} is invalid: use 1-128 characters of A-Z, a-z, 0-9, "_", "-" or "." (it names log files)`);
  }
}

export function streamDir(logDir: string, model: string, stream: LogStream): string {
  return path.join(logDir, model, stream);
}

/** Start of the UTC hour `atMs` falls in (cheap: called per row when a flush groups rows). */
export function hourStart(atMs: number): number {
  return Math.floor(atMs / HOUR_MS) * HOUR_MS;
}

/** The UTC hour bucket a time falls in: its day directory and hour prefix. */
export function hourBucket(atMs: number): { day: string; hour: string; startMs: number } {
  const startMs = hourStart(atMs);
  const iso = new Date(startMs).toISOString(); // yyyy-mm-ddThh:…
  return { day: iso.slice(0, 10), hour: iso.slice(11, 13), startMs };
}

export function segmentPath(logDir: string, model: string, stream: LogStream, atMs: number, seq: number, workerId: string): string {
  const { day, hour } = hourBucket(atMs);
  return path.join(streamDir(logDir, model, stream), day, `${hour}-${String(seq).padStart(6, '0')}-${workerId}.parquet`);
}

/** Start of the hour a day directory and segment name stand for, or null when the names are not ours. */
export function segmentHourStart(dayDir: string, fileName: string): number | null {
  const day = DAY_DIR.exec(dayDir);
  const file = SEGMENT_FILE.exec(fileName);
  if (!day || !file) return null;
  const hour = Number(file[1]);
  if (hour > 23) return null;
  const ms = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]), hour);
  return Number.isFinite(ms) ? ms : null;
}

/** Day directories ("yyyy-mm-dd") that can hold rows in [fromMs, toMs). */
export function dayDirInRange(dayDir: string, fromMs: number, toMs: number): boolean {
  const day = DAY_DIR.exec(dayDir);
  if (!day) return false;
  const start = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
  return Number.isFinite(start) && start < toMs && start + 24 * HOUR_MS > fromMs;
}

export function hourInRange(hourStartMs: number, fromMs: number, toMs: number): boolean {
  return hourStartMs < toMs && hourStartMs + HOUR_MS > fromMs;
}

// ---------------------------------------------------------------------------------------------
// Where the log lives

export type LogLocation = { logDir: string } | { url: string; schema?: string };

export const POSTGRES_URL = /^postgres(ql)?:\/\//;

/**
 * The location a process logs to: RATCHET_PREDICTION_LOG (a directory, a postgres:// URL, or
 * "off"), else `<RATCHET_HOME>/logs/predictions`. The PostgreSQL schema comes from
 * RATCHET_PREDICTION_LOG_SCHEMA (default "ratchet_log").
 */
export function predictionLogLocation(paths: RatchetPaths, env: NodeJS.ProcessEnv = process.env): LogLocation | 'off' {
  const configured = env.RATCHET_PREDICTION_LOG?.trim();
  if (configured === 'off') return 'off';
  if (configured && POSTGRES_URL.test(configured)) {
    return { url: configured, ...(env.RATCHET_PREDICTION_LOG_SCHEMA ? { schema: env.RATCHET_PREDICTION_LOG_SCHEMA } : {}) };
  }
  return { logDir: path.resolve(configured || path.join(paths.logs, 'predictions')) };
}

export function describeLocation(location: LogLocation): string {
  return 'logDir' in location ? location.logDir : `${redactConnectionString(location.url)} (schema "${location.schema ?? DEFAULT_LOG_SCHEMA}")`;
}

export const DEFAULT_LOG_SCHEMA = 'ratchet_log';

/** A time given as Date, ISO text or epoch ms, as epoch ms; names the field when it is no time. */
export function toEpochMs(value: Date | string | number, field: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`${field} ${JSON.stringify(value)} is not a time: pass a Date, an ISO-8601 string or epoch milliseconds`);
  return ms;
}
