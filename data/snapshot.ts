/**
 * Step 1 of a run: pull a time window of a model's source into an immutable, content-addressed
 * Parquet snapshot plus its manifest.
 *
 *   <snapshotDir>/<model>/<snapshotId>.parquet         rows ordered canonically (time, then all columns)
 *   <snapshotDir>/<model>/<snapshotId>.manifest.json   the SnapshotManifest
 *
 * snapshotId is the first 16 hex characters of the content hash (content-hash.ts), so the same
 * rows always land at the same name. That makes the pull idempotent, as a retried Temporal
 * activity needs: a second pull of unchanged data finds the file, leaves it untouched and returns
 * the first manifest (same createdAt). Both files are written under a temporary name, fsynced and
 * renamed, so a crash never leaves a half-written snapshot behind.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { removeOrphanedTemps } from '../core/temp-files';
import type { SnapshotManifest, TimeRange } from '../core/types';
import { canonicalOrderSql, epochMicrosSql, requireTimeColumn } from './columns';
import { hashRows } from './content-hash';
import { withDuckDB, quoteIdentifier } from './duckdb';
import { exists, publishFile, temporaryPathFor, writeFileAtomic } from './files';
import { describeColumns, describeSource, openSourceScan, type DataSource } from './source';
import { isoToMicros, isoToTimestamp, microsToIso } from './time';

export interface PullSnapshotInput {
  model: string;
  source: DataSource;
  timeColumn: string;
  /** from inclusive, to exclusive */
  window: TimeRange;
  snapshotDir: string;
  now: Date;
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const PULLED = 'pulled';

function validateInput(input: PullSnapshotInput): void {
  if (!MODEL_NAME.test(input.model)) {
    throw new Error(`Model name ${JSON.stringify(input.model)} cannot be used as a directory name; use letters, digits, "_", "-" or ".".`);
  }
  const from = isoToMicros(input.window.from, 'window.from');
  const to = isoToMicros(input.window.to, 'window.to');
  if (from >= to) throw new Error(`window.from (${input.window.from}) must be before window.to (${input.window.to}).`);
  if (!path.isAbsolute(input.snapshotDir)) throw new Error(`snapshotDir must be an absolute path, got ${input.snapshotDir}.`);
  if (Number.isNaN(input.now.getTime())) throw new Error('now must be a valid Date.');
}

/** Load the window into a temp table and describe what came back. */
async function loadWindow(connection: DuckDBConnection, input: PullSnapshotInput) {
  const scan = await openSourceScan(connection, input.source);
  const sourceColumns = await describeColumns(connection, scan);
  requireTimeColumn(sourceColumns, input.timeColumn, input.source.path);

  const time = quoteIdentifier(input.timeColumn);
  await connection.run(`CREATE TEMP TABLE ${PULLED} AS SELECT * FROM ${scan.sql} WHERE ${time} >= $from AND ${time} < $to`, {
    ...scan.params,
    from: isoToTimestamp(input.window.from, 'window.from'),
    to: isoToTimestamp(input.window.to, 'window.to'),
  });
  const columns = await describeColumns(connection, { sql: PULLED });
  const stats = (
    await connection.runAndReadAll(`SELECT count(*), min(${epochMicrosSql(input.timeColumn)}), max(${epochMicrosSql(input.timeColumn)}) FROM ${PULLED}`)
  ).getRows()[0];
  const rows = Number(stats[0]);
  const timeRange: TimeRange | null =
    rows === 0 ? null : { from: microsToIso(stats[1] as bigint), to: microsToIso(stats[2] as bigint) };
  return { columns, rows, timeRange, files: scan.files };
}

async function readManifest(manifestPath: string): Promise<SnapshotManifest | null> {
  if (!(await exists(manifestPath))) return null;
  try {
    return JSON.parse(await readFile(manifestPath, 'utf8')) as SnapshotManifest;
  } catch (error) {
    throw new Error(`Snapshot manifest ${manifestPath} is unreadable (${(error as Error).message}); delete it and pull again.`);
  }
}

export async function pullSnapshot(input: PullSnapshotInput): Promise<SnapshotManifest> {
  validateInput(input);
  const modelDir = path.join(input.snapshotDir, input.model);
  await mkdir(modelDir, { recursive: true });
  // A pull killed mid-write left its temp file here; its retry (this call, often) removes it.
  await removeOrphanedTemps(modelDir);

  return withDuckDB(async (connection) => {
    const pulled = await loadWindow(connection, input);
    const contentSha256 = await hashRows(connection, { sql: PULLED }, pulled.columns, input.timeColumn);
    const snapshotId = contentSha256.slice(0, 16);
    const parquetPath = path.join(modelDir, `${snapshotId}.parquet`);
    const manifestPath = path.join(modelDir, `${snapshotId}.manifest.json`);

    if (!(await exists(parquetPath))) {
      const temporary = temporaryPathFor(parquetPath);
      await connection.run(
        `COPY (SELECT * FROM ${PULLED} ORDER BY ${canonicalOrderSql(pulled.columns, input.timeColumn)}) TO $file (FORMAT parquet)`,
        { file: temporary },
      );
      await publishFile(temporary, parquetPath);
    }

    const source = `${describeSource(input.source)}: ${pulled.files.length} file(s)`;
    const existing = await readManifest(manifestPath);
    if (existing) {
      // Same rows as an earlier pull. Keep its createdAt (the snapshot was created then); report the
      // window and source asked for this time, which may differ when two windows hold the same rows.
      return { ...existing, window: input.window, source };
    }
    const manifest: SnapshotManifest = {
      snapshotId,
      model: input.model,
      path: parquetPath,
      rows: pulled.rows,
      schema: pulled.columns,
      timeColumn: input.timeColumn,
      window: input.window,
      timeRange: pulled.timeRange,
      contentSha256,
      source,
      createdAt: input.now.toISOString(),
    };
    await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  });
}

/** A clear error when a manifest's Parquet file is gone (another machine, a cleaned-up folder). */
export async function requireSnapshotFile(manifest: SnapshotManifest): Promise<void> {
  if (!(await exists(manifest.path))) {
    throw new Error(`Snapshot file ${manifest.path} (snapshot ${manifest.snapshotId}) does not exist; pull the snapshot again.`);
  }
}

/**
 * Recompute a snapshot file's content hash: true when the file still holds what its manifest says.
 * For consumers that load a snapshot written by another machine or a while ago.
 */
export async function verifySnapshot(manifest: SnapshotManifest): Promise<boolean> {
  await requireSnapshotFile(manifest);
  return withDuckDB(async (connection) => {
    const scan = { sql: 'read_parquet($file)', params: { file: manifest.path } };
    const columns = await describeColumns(connection, scan);
    return (await hashRows(connection, scan, columns, manifest.timeColumn)) === manifest.contentSha256;
  });
}
