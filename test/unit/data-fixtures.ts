/** Helpers for the data-*.test.ts files: temporary folders and small crafted tables on disk. */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { withDuckDB } from '../../data/duckdb';

export async function makeTempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `ratchet-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Write the result of a constant, test-authored SELECT to `file` as Parquet or CSV (by extension).
 * The path is a bound parameter; the SQL is fixed test text.
 */
export async function writeTable(file: string, selectSql: string): Promise<void> {
  const options = file.endsWith('.csv') ? '(FORMAT csv, HEADER true)' : '(FORMAT parquet)';
  await mkdir(path.dirname(file), { recursive: true });
  await withDuckDB(async (connection) => {
    await connection.run(`COPY (${selectSql}) TO $file ${options}`, { file });
  });
}

/** Rows of a test-authored query that reads `$file` (bound), as plain JS values, for assertions. */
export async function queryFile(file: string, sql: string): Promise<Record<string, unknown>[]> {
  return withDuckDB(async (connection) => {
    const reader = await connection.runAndReadAll(sql, { file });
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  });
}

export async function fileIdentity(file: string): Promise<{ ino: number; mtimeMs: number; size: number }> {
  const s = await stat(file);
  return { ino: s.ino, mtimeMs: s.mtimeMs, size: s.size };
}
