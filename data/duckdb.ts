/**
 * The one way this codebase opens DuckDB and the one place SQL text is quoted.
 *
 * Every query takes user values, file paths included (read_parquet($1), COPY … TO $1), as bound
 * parameters. The one thing that cannot be bound is an identifier (a column name from a model
 * config): those go through quoteIdentifier below and nowhere else, after the callers have checked
 * them against the actual schema.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface DuckDBOptions {
  /** Worker threads for this instance; default: DuckDB's own (the number of cores). */
  threads?: number;
}

/**
 * Open an in-memory DuckDB, run `fn` with a connection, and close everything, also on error.
 * A fresh instance per call keeps activities independent: no shared state, no leaked temp tables.
 */
export async function withDuckDB<T>(fn: (connection: DuckDBConnection) => Promise<T>, options: DuckDBOptions = {}): Promise<T> {
  const config: Record<string, string> = {};
  if (options.threads !== undefined) config.threads = String(options.threads);
  const instance = await DuckDBInstance.create(':memory:', config);
  try {
    const connection = await instance.connect();
    try {
      // TIMESTAMP columns carry no zone; everything in Ratchet is UTC, so make DuckDB agree when it
      // compares or casts TIMESTAMPTZ values.
      await connection.run("SET TimeZone = 'UTC'");
      return await fn(connection);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/**
 * A column or table name as a SQL identifier: wrapped in double quotes, embedded quotes doubled,
 * so any name (spaces, quotes, semicolons) is one identifier and never SQL. NUL cannot be stored
 * in an identifier and an empty name is always a config mistake, so both are refused.
 */
export function quoteIdentifier(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new Error('A column name must be a non-empty string.');
  if (name.includes('\u0000')) throw new Error(`Column name ${JSON.stringify(name)} contains a NUL character; rename the column.`);
  return `"${name.replaceAll('"', '""')}"`;
}
