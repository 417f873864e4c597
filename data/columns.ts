/**
 * Column names from a model config meet the real schema here: every name is checked against the
 * columns a file actually has before it is quoted into SQL, and a mismatch becomes an error that
 * says which file, which column, what exists, and which config field to change.
 */
import { quoteIdentifier } from './duckdb';
import { listColumns, type ColumnInfo } from './source';

const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL(\(\d+,\s*\d+\))?)$/;
const TIME_TYPE = /^(DATE|TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE)$/;

export type ColumnKind = 'numeric' | 'boolean' | 'time' | 'text' | 'other';

export function columnKind(type: string): ColumnKind {
  if (NUMERIC_TYPE.test(type)) return 'numeric';
  if (type === 'BOOLEAN') return 'boolean';
  if (TIME_TYPE.test(type)) return 'time';
  if (type === 'VARCHAR' || type.startsWith('ENUM(')) return 'text';
  return 'other';
}

/** Types that read as a number (BOOLEAN as 0/1). */
export function isNumberLike(type: string): boolean {
  const kind = columnKind(type);
  return kind === 'numeric' || kind === 'boolean';
}

export class MissingColumnError extends Error {
  constructor(
    readonly column: string,
    readonly file: string,
    readonly available: ColumnInfo[],
    readonly configField?: string,
  ) {
    super(
      `Column "${column}"${configField ? ` (${configField})` : ''} is not in ${file}. ` +
        `Columns available: ${listColumns(available)}. ` +
        `Fix: ${configField ? `set ${configField} in the model config to one of these columns` : 'use one of these columns'}, ` +
        `or add the column to the data.`,
    );
    this.name = 'MissingColumnError';
  }
}

/** The column named `name`, or a MissingColumnError. */
export function requireColumn(columns: ColumnInfo[], name: string, file: string, configField?: string): ColumnInfo {
  const found = columns.find((c) => c.name === name);
  if (!found) throw new MissingColumnError(name, file, columns, configField);
  return found;
}

/**
 * A time column as epoch microseconds, the one form every comparison and cut uses, whatever
 * temporal type the file stores (DATE, TIMESTAMP, TIMESTAMPTZ at UTC).
 */
export function epochMicrosSql(timeColumn: string): string {
  return `epoch_us(CAST(${quoteIdentifier(timeColumn)} AS TIMESTAMP))`;
}

/**
 * The canonical row order of snapshots and splits: the time column, then every column in schema
 * order. Two tables with the same rows therefore list them identically, which is what makes the
 * content hash and the written files depend on the data alone.
 */
export function canonicalOrderSql(columns: ColumnInfo[], timeColumn: string): string {
  const names = [timeColumn, ...columns.map((c) => c.name).filter((n) => n !== timeColumn)];
  return names.map((n) => `${quoteIdentifier(n)} ASC NULLS LAST`).join(', ');
}

/** The time column, present and of a temporal type. */
export function requireTimeColumn(columns: ColumnInfo[], name: string, file: string): ColumnInfo {
  const column = requireColumn(columns, name, file, 'time_column');
  if (columnKind(column.type) !== 'time') {
    throw new Error(
      `Time column "${name}" in ${file} has type ${column.type}; it must be a TIMESTAMP or DATE. ` +
        `For CSV, write ISO-8601 times (2026-01-05 13:45:00) so they are detected as timestamps, ` +
        `or point time_column at another column: ${listColumns(columns)}.`,
    );
  }
  return column;
}

/** The label column, present and readable as a number. */
export function requireLabelColumn(columns: ColumnInfo[], name: string, file: string): ColumnInfo {
  const column = requireColumn(columns, name, file, 'label');
  if (!isNumberLike(column.type)) {
    throw new Error(`Label column "${name}" in ${file} has type ${column.type}; it must hold 0/1 numbers or booleans.`);
  }
  return column;
}
