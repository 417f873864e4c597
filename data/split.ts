/**
 * Step 3: split a snapshot by time into train, valid and holdout Parquet files.
 *
 * The cut rule (n = rows with a time; t(k) = the time of the k-th row in time order, 0-based;
 * times compared at microsecond precision):
 *   1. holdout: h = round(n · holdoutFraction). If h = 0 the holdout is empty; otherwise the cut is
 *      T_h = t(n − h) and the holdout is every row with time ≥ T_h. With `holdoutFrom`, T_h is
 *      that time instead.
 *   2. the m rows before T_h split the same way: v = round(m · validFraction), T_v = t(m − v), valid
 *      is T_v ≤ time < T_h and train is time < T_v.
 * Rows sharing a timestamp always land in the same part (the later one), so no timestamp
 * straddles two parts; a part can therefore be slightly larger than its fraction, never smaller.
 *
 * Files go to <outDir>/<snapshotId>/<splitKey>/{train,valid,holdout}.parquet and split.json, where
 * splitKey hashes the inputs that decide the content (snapshot hash, columns, fractions, cut).
 * The directory is built under a temporary name and renamed into place, so a retry finds either
 * the complete split and returns it untouched, or nothing.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { removeOrphanedTemps } from '../core/temp-files';
import type { SnapshotManifest, SplitManifest, SplitPart } from '../core/types';
import { canonicalOrderSql, epochMicrosSql, requireLabelColumn, requireTimeColumn } from './columns';
import { withDuckDB, quoteIdentifier } from './duckdb';
import { exists, fsyncPath, temporaryPathFor, writeFileAtomic } from './files';
import { requireSnapshotFile } from './snapshot';
import { describeColumns } from './source';
import { isoToMicros, microsToIso } from './time';

export interface SplitOptions {
  timeColumn: string;
  label: string;
  holdoutFraction?: number;
  validFraction?: number;
  /** ISO time: the holdout is every row at or after it, instead of the latest holdoutFraction. */
  holdoutFrom?: string;
  outDir: string;
}

const PART_NAMES = ['train', 'valid', 'holdout'] as const;
type PartName = (typeof PART_NAMES)[number];

/** A half-open interval [from, to) of time keys in microseconds; null means unbounded. */
interface Interval {
  from: bigint | null;
  to: bigint | null;
  empty?: true;
}
const EMPTY: Interval = { from: null, to: null, empty: true };

function checkFraction(value: number, field: string): number {
  if (!(value >= 0 && value < 1)) throw new Error(`${field} must be a number in [0, 1), got ${value}.`);
  return value;
}

function splitKey(manifest: SnapshotManifest, options: SplitOptions, holdoutFraction: number, validFraction: number): string {
  const inputs = {
    contentSha256: manifest.contentSha256,
    timeColumn: options.timeColumn,
    label: options.label,
    holdoutFraction,
    validFraction,
    holdoutFrom: options.holdoutFrom ?? null,
  };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

/** The time key of the row at `offset` in time order, among rows with key < `below` (if given). */
async function timeAt(connection: DuckDBConnection, source: string, key: string, offset: number, below: bigint | null): Promise<bigint> {
  const where = below === null ? `${key} IS NOT NULL` : `${key} < $below`;
  const reader = await connection.runAndReadAll(
    `SELECT ${key} FROM ${source} WHERE ${where} ORDER BY 1 LIMIT 1 OFFSET $offset`,
    below === null ? { offset } : { offset, below },
  );
  return reader.getRows()[0][0] as bigint;
}

async function countRows(connection: DuckDBConnection, source: string, key: string, below: bigint | null): Promise<number> {
  const where = below === null ? `${key} IS NOT NULL` : `${key} < $below`;
  const reader = await connection.runAndReadAll(`SELECT count(*) FROM ${source} WHERE ${where}`, below === null ? {} : { below });
  return Number(reader.getRows()[0][0]);
}

/** Apply the cut rule in the module comment. */
async function cutIntervals(
  connection: DuckDBConnection,
  source: string,
  key: string,
  fractions: { holdout: number; valid: number; holdoutFrom?: string },
): Promise<Record<PartName, Interval>> {
  let holdoutCut: bigint | null;
  if (fractions.holdoutFrom !== undefined) {
    holdoutCut = isoToMicros(fractions.holdoutFrom, 'holdoutFrom');
  } else {
    const n = await countRows(connection, source, key, null);
    const h = Math.round(n * fractions.holdout);
    holdoutCut = h === 0 ? null : await timeAt(connection, source, key, n - h, null);
  }
  const m = await countRows(connection, source, key, holdoutCut);
  const v = Math.round(m * fractions.valid);
  const validCut = v === 0 ? null : await timeAt(connection, source, key, m - v, holdoutCut);
  return {
    train: { from: null, to: validCut ?? holdoutCut },
    valid: validCut === null ? EMPTY : { from: validCut, to: holdoutCut },
    holdout: holdoutCut === null ? EMPTY : { from: holdoutCut, to: null },
  };
}

function intervalWhere(key: string, interval: Interval): { where: string; params: Record<string, bigint> } {
  if (interval.empty) return { where: 'false', params: {} };
  const clauses = [`${key} IS NOT NULL`];
  const params: Record<string, bigint> = {};
  if (interval.from !== null) {
    clauses.push(`${key} >= $from`);
    params.from = interval.from;
  }
  if (interval.to !== null) {
    clauses.push(`${key} < $to`);
    params.to = interval.to;
  }
  return { where: clauses.join(' AND '), params };
}

async function writePart(
  connection: DuckDBConnection,
  input: { source: string; key: string; label: string; order: string },
  interval: Interval,
  file: string,
  finalFile: string,
): Promise<SplitPart> {
  const { where, params } = intervalWhere(input.key, interval);
  await connection.run(`COPY (SELECT * FROM ${input.source} WHERE ${where} ORDER BY ${input.order}) TO $file (FORMAT parquet)`, {
    ...params,
    file,
  });
  const label = quoteIdentifier(input.label);
  const row = (
    await connection.runAndReadAll(
      `SELECT count(*), min(${input.key}), max(${input.key}), avg(CAST(${label} AS DOUBLE)) FROM ${input.source} WHERE ${where}`,
      params,
    )
  ).getRows()[0];
  const rows = Number(row[0]);
  return {
    path: finalFile,
    rows,
    timeRange: rows === 0 ? null : { from: microsToIso(row[1] as bigint), to: microsToIso(row[2] as bigint) },
    positiveRate: row[3] === null ? null : Number(row[3]),
  };
}

async function readSplit(file: string): Promise<SplitManifest> {
  return JSON.parse(await readFile(file, 'utf8')) as SplitManifest;
}

export async function splitByTime(manifest: SnapshotManifest, options: SplitOptions): Promise<SplitManifest> {
  const holdoutFraction = checkFraction(options.holdoutFraction ?? 0.2, 'holdoutFraction');
  const validFraction = checkFraction(options.validFraction ?? 0.2, 'validFraction');
  if (options.holdoutFrom !== undefined) isoToMicros(options.holdoutFrom, 'holdoutFrom');
  if (!path.isAbsolute(options.outDir)) throw new Error(`outDir must be an absolute path, got ${options.outDir}.`);

  const snapshotDir = path.join(options.outDir, manifest.snapshotId);
  const finalDir = path.join(snapshotDir, splitKey(manifest, options, holdoutFraction, validFraction));
  const manifestFile = path.join(finalDir, 'split.json');
  if (await exists(manifestFile)) return readSplit(manifestFile);
  await requireSnapshotFile(manifest);

  await mkdir(snapshotDir, { recursive: true });
  await removeOrphanedTemps(snapshotDir); // work folders of splits killed mid-write
  const workDir = temporaryPathFor(finalDir);
  await mkdir(workDir);
  try {
    const split = await withDuckDB(async (connection) => {
      const source = 'snapshot';
      await connection.run(`CREATE TEMP TABLE ${source} AS SELECT * FROM read_parquet($file)`, { file: manifest.path });
      const columns = await describeColumns(connection, { sql: source });
      requireTimeColumn(columns, options.timeColumn, manifest.path);
      requireLabelColumn(columns, options.label, manifest.path);
      const key = epochMicrosSql(options.timeColumn);
      const intervals = await cutIntervals(connection, source, key, {
        holdout: holdoutFraction,
        valid: validFraction,
        holdoutFrom: options.holdoutFrom,
      });
      const input = { source, key, label: options.label, order: canonicalOrderSql(columns, options.timeColumn) };
      const parts = {} as Record<PartName, SplitPart>;
      for (const name of PART_NAMES) {
        const file = `${name}.parquet`;
        parts[name] = await writePart(connection, input, intervals[name], path.join(workDir, file), path.join(finalDir, file));
        await fsyncPath(path.join(workDir, file));
      }
      return { snapshotId: manifest.snapshotId, ...parts };
    });
    await writeFileAtomic(path.join(workDir, 'split.json'), `${JSON.stringify(split, null, 2)}\n`);
    await fsyncPath(workDir);
    await rename(workDir, finalDir);
    await fsyncPath(snapshotDir);
    return split;
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    // A concurrent attempt finished first: its split is identical, use it.
    if (await exists(manifestFile)) return readSplit(manifestFile);
    throw error;
  }
}
