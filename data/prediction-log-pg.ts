/**
 * The prediction log in PostgreSQL (RATCHET_PREDICTION_LOG=postgres://…): the same columns as the
 * Parquet segments, in two tables of one schema (default "ratchet_log"), created on first use.
 *
 * A flush is one INSERT … SELECT FROM unnest($1::text[], …): one round trip and one statement
 * whatever the batch size, with every value a parameter. Text cannot hold NUL in PostgreSQL; a
 * client-supplied id containing one is stored with U+FFFD in its place rather than failing the
 * whole batch (and every batch after it, as the rows would be retried).
 */
import pg from 'pg';
import { quoteIdent } from '../registry/pg-migrations';
import { redactConnectionString } from '../registry/pg-store';
import { quoteIdentifier } from './duckdb';
import { DEFAULT_LOG_SCHEMA, LOG_COLUMNS, type LogColumn, type LogRecord, type LogStream } from './prediction-log-format';

export interface PgLogStoreOptions {
  url: string;
  schema?: string;
  poolSize?: number;
}

// "RATL": the advisory lock key namespace of the log's DDL, recognisable in pg_locks.
const LOCK_NAMESPACE = 0x5241544c;

export class PgLogStore {
  readonly schema: string;
  readonly where: string;
  private readonly pool: pg.Pool;
  private readonly tables: { [S in LogStream]: string };
  private created: Promise<void> | null = null;

  constructor(options: PgLogStoreOptions) {
    this.schema = options.schema ?? DEFAULT_LOG_SCHEMA;
    const s = quoteIdent(this.schema);
    this.tables = { predictions: `${s}.predictions`, feedback: `${s}.feedback` };
    this.where = `${redactConnectionString(options.url)} (schema "${this.schema}")`;
    this.pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 2, allowExitOnIdle: true });
    // A dropped idle connection must not kill the serving worker; the next query reconnects or fails loudly.
    this.pool.on('error', () => {});
  }

  /** Creates the schema and tables if missing; concurrent starts queue on an advisory lock. */
  ready(): Promise<void> {
    this.created ??= this.createTables().catch((error: Error) => {
      this.created = null;
      throw new Error(`prediction log at ${this.where} is not usable: ${error.message}`, { cause: error });
    });
    return this.created;
  }

  async write<S extends LogStream>(stream: S, rows: readonly LogRecord<S>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.ready();
    const columns = LOG_COLUMNS[stream];
    const arrays = columns.map((c) => rows.map((row) => toPg(c, (row as unknown as Record<string, unknown>)[c.name])));
    const names = columns.map((c) => quoteIdentifier(c.name)).join(', ');
    const unnest = columns.map((c, i) => `$${i + 1}::${c.pg}[]`).join(', ');
    await this.pool.query(`INSERT INTO ${this.tables[stream]} (${names}) SELECT * FROM unnest(${unnest})`, arrays);
  }

  /** The qualified table of a stream, for readers' queries. */
  table(stream: LogStream): string {
    return this.tables[stream];
  }

  /** For readers: rows as arrays in select order. */
  async queryRows(sql: string, params: unknown[]): Promise<unknown[][]> {
    await this.ready();
    const result = await this.pool.query({ text: sql, values: params, rowMode: 'array' });
    return result.rows as unknown[][];
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  private async createTables(): Promise<void> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, this.schema]);
      const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
      if (rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(this.schema)}`);
      for (const stream of ['predictions', 'feedback'] as const) {
        const columns = LOG_COLUMNS[stream].map((c) => `${quoteIdentifier(c.name)} ${c.pg}${c.nullable ? '' : ' NOT NULL'}`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.tables[stream]} (${columns.join(', ')})`);
        await client.query(`CREATE INDEX IF NOT EXISTS ${stream}_model_at ON ${this.tables[stream]} (model, "at")`);
      }
      // Tables created before shadow rows stopped repeating their inputs require features.
      await client.query(`ALTER TABLE ${this.tables.predictions} ALTER COLUMN features DROP NOT NULL`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

function toPg(column: LogColumn, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (column.json) return noNul(JSON.stringify(value));
  if (column.pg === 'timestamptz') return new Date(value as number).toISOString();
  if (column.pg === 'double precision' && typeof value === 'number' && !Number.isFinite(value)) return null;
  return typeof value === 'string' ? noNul(value) : value;
}

function noNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}
