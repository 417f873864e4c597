/**
 * Where a model's data comes from, and how DuckDB scans it.
 *
 * Only files (a Parquet or CSV glob) are implemented. The union is where the other kinds named in
 * the design go (a Postgres query, the serving worker's prediction log): each adds a member here
 * and a case in `openScan`.
 */
import path from 'node:path';
import { listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

export type FileFormat = 'parquet' | 'csv';

export interface FilesSource {
  kind: 'files';
  /** Absolute path or glob of Parquet or CSV files, e.g. /data/applications-week-*.parquet */
  path: string;
  /** Overrides the format implied by the extension. */
  format?: FileFormat;
}

export type DataSource = FilesSource;

/** A table expression for use after FROM, and the named parameters it binds. */
export interface Scan {
  sql: string;
  params: Record<string, DuckDBValue>;
  files: string[];
  format: FileFormat;
}

export function describeSource(source: DataSource): string {
  return `files:${source.path}${source.format ? ` (${source.format})` : ''}`;
}

/** The format from `explicit` or from the extension (.parquet/.pq, .csv/.tsv, optionally compressed). */
export function fileFormat(pathOrGlob: string, explicit?: FileFormat): FileFormat {
  if (explicit) return explicit;
  const name = pathOrGlob.toLowerCase().replace(/\.(gz|zst)$/, '');
  if (name.endsWith('.parquet') || name.endsWith('.pq')) return 'parquet';
  if (name.endsWith('.csv') || name.endsWith('.tsv')) return 'csv';
  throw new Error(
    `Cannot tell the file format of ${pathOrGlob}: it does not end in .parquet or .csv. ` +
      `Set source.format to "parquet" or "csv" in the model config.`,
  );
}

/** The files a path or glob names now, sorted, so a scan sees them in a stable order. */
export async function listFiles(connection: DuckDBConnection, pathOrGlob: string): Promise<string[]> {
  const reader = await connection.runAndReadAll('SELECT file FROM glob($pattern)', { pattern: pathOrGlob });
  return reader
    .getRowsJS()
    .map(([file]) => String(file))
    .sort();
}

/**
 * A scan over one file, a glob or a data source. Columns are matched by name across files
 * (union_by_name), so a column added in later weeks reads as NULL in earlier ones instead of
 * shifting every column after it.
 */
export async function openScan(
  connection: DuckDBConnection,
  pathOrGlob: string,
  options: { format?: FileFormat; configField?: string } = {},
): Promise<Scan> {
  const where = options.configField ? ` (${options.configField})` : '';
  if (!path.isAbsolute(pathOrGlob)) {
    throw new Error(`Data path ${pathOrGlob}${where} must be absolute; resolve it against the config file's directory first.`);
  }
  const format = fileFormat(pathOrGlob, options.format);
  const files = await listFiles(connection, pathOrGlob);
  if (files.length === 0) {
    throw new Error(
      `No files match ${pathOrGlob}${where}. Check the path and that the data has been written ` +
        `(for the demo: npx tsx examples/demo-data/generate.ts --out DIR).`,
    );
  }
  const reader = format === 'parquet' ? 'read_parquet' : 'read_csv';
  return {
    sql: `${reader}($files, union_by_name = true)`,
    params: { files: listValue(files) },
    files,
    format,
  };
}

export function openSourceScan(connection: DuckDBConnection, source: DataSource): Promise<Scan> {
  switch (source.kind) {
    case 'files':
      return openScan(connection, source.path, { format: source.format, configField: 'source.path' });
  }
}

export interface ColumnInfo {
  name: string;
  type: string;
}

/** The columns of a scan or a table: `relation.sql` is whatever may follow FROM. */
export async function describeColumns(
  connection: DuckDBConnection,
  relation: { sql: string; params?: Record<string, DuckDBValue> },
): Promise<ColumnInfo[]> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation.sql}`, relation.params ?? {});
  return reader.getRowObjectsJS().map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
}

/** "the columns available" part of an error: the whole list, so the fix is visible at once. */
export function listColumns(columns: ColumnInfo[]): string {
  return columns.map((c) => `${c.name} (${c.type})`).join(', ');
}
