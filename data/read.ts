/**
 * Read a Parquet or CSV file into the in-process ColumnTable the trainers and the evaluator use.
 *
 * DuckDB does the type work (numbers CAST to DOUBLE, categories and extra columns to VARCHAR) and
 * node copies its vectors chunk by chunk straight into preallocated arrays; row objects would cost
 * an allocation per row and per value, which matters at a million rows.
 */
import type { DuckDBConnection, DuckDBVector } from '@duckdb/node-api';
import type { ColumnTable, FeatureSpec } from '../core/types';
import { isNumberLike, requireColumn, requireLabelColumn } from './columns';
import { withDuckDB, quoteIdentifier } from './duckdb';
import { describeColumns, openScan, type ColumnInfo, type FileFormat, type Scan } from './source';

export interface ReadTableOptions {
  features: FeatureSpec[];
  /** Further columns (segments, protected attributes, ids), read as strings. */
  extraColumns?: string[];
  label?: string;
  format?: FileFormat;
}

export interface ReadTableResult {
  table: ColumnTable;
  labels?: Float64Array;
}

type Target = { name: string; as: 'number' | 'string'; field: string };

export async function readSchema(path: string, format?: FileFormat): Promise<ColumnInfo[]> {
  return withDuckDB(async (connection) => describeColumns(connection, await openScan(connection, path, { format })));
}

/** What to read and how, checked against the file's schema. */
function planColumns(path: string, schema: ColumnInfo[], options: ReadTableOptions): { targets: Target[]; label?: Target } {
  const targets: Target[] = [];
  const seen = new Set<string>();
  options.features.forEach((feature, i) => {
    const field = `features[${i}] (${feature.name})`;
    const column = requireColumn(schema, feature.name, path, field);
    if (feature.type === 'numeric' && !isNumberLike(column.type)) {
      throw new Error(
        `Feature "${feature.name}" is declared numeric but column "${feature.name}" in ${path} has type ${column.type}. ` +
          `Fix: declare it categorical in the model config, or store it as a number.`,
      );
    }
    if (seen.has(feature.name)) throw new Error(`Feature "${feature.name}" is listed twice in the model config's features.`);
    seen.add(feature.name);
    targets.push({ name: feature.name, as: feature.type === 'numeric' ? 'number' : 'string', field });
  });
  for (const name of options.extraColumns ?? []) {
    requireColumn(schema, name, path);
    // A column that is already a feature is already in the table, in its feature form.
    if (seen.has(name)) continue;
    seen.add(name);
    targets.push({ name, as: 'string', field: name });
  }
  if (options.label === undefined) return { targets };
  requireLabelColumn(schema, options.label, path);
  return { targets, label: { name: options.label, as: 'number', field: 'label' } };
}

function selectSql(targets: Target[], scan: Scan): string {
  const list = targets.map((t) => `CAST(${quoteIdentifier(t.name)} AS ${t.as === 'number' ? 'DOUBLE' : 'VARCHAR'})`);
  return `SELECT ${list.join(', ')} FROM ${scan.sql}`;
}

function copyNumbers(vector: DuckDBVector, into: Float64Array, offset: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const value = vector.getItem(i) as number | null;
    into[offset + i] = value === null ? Number.NaN : value;
  }
}

function copyStrings(vector: DuckDBVector, into: (string | null)[], offset: number, count: number): void {
  for (let i = 0; i < count; i++) into[offset + i] = vector.getItem(i) as string | null;
}

async function readColumns(connection: DuckDBConnection, sql: string, scan: Scan, targets: Target[]) {
  const result = await connection.run(sql, scan.params);
  const rowCount = result.rowCount;
  const columns = targets.map((t) => (t.as === 'number' ? new Float64Array(rowCount) : new Array<string | null>(rowCount)));
  let offset = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    for (let c = 0; c < targets.length; c++) {
      const into = columns[c];
      if (into instanceof Float64Array) copyNumbers(chunk.getColumnVector(c), into, offset, chunk.rowCount);
      else copyStrings(chunk.getColumnVector(c), into, offset, chunk.rowCount);
    }
    offset += chunk.rowCount;
  }
  return { rowCount, columns };
}

/**
 * Numeric features → Float64Array (NULL → NaN); categorical features and extra columns → string or
 * null; the label → Float64Array (NULL → NaN). Rows keep the file's order.
 */
export async function readTable(path: string, options: ReadTableOptions): Promise<ReadTableResult> {
  return withDuckDB(async (connection) => {
    const scan = await openScan(connection, path, { format: options.format });
    const plan = planColumns(path, await describeColumns(connection, scan), options);
    const targets = plan.label ? [...plan.targets, plan.label] : plan.targets;
    const { rowCount, columns } = await readColumns(connection, selectSql(targets, scan), scan, targets);

    const table: ColumnTable = { rowCount, columns: {} };
    plan.targets.forEach((target, c) => (table.columns[target.name] = columns[c]));
    if (!plan.label) return { table };
    return { table, labels: columns[columns.length - 1] as Float64Array };
  });
}
