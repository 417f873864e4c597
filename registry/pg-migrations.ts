/**
 * The PostgreSQL registry's schema, as numbered migrations applied when a store starts.
 *
 * Every process runs `migrate` on start, so several may run it at once (a scaled-out worker
 * fleet after a deploy). Each run is one transaction that first takes a transaction-level
 * advisory lock for the schema: concurrent runs queue behind it, and the ones that follow find
 * every migration recorded in `ratchet_migrations` and change nothing. A migration that fails
 * rolls back with its record, so the next start retries it.
 *
 * Migrations are append-only: never edit one that has shipped, add the next number.
 */
import type pg from 'pg';
import { InvalidNameError, RegistryError } from './store';

export interface Migration {
  version: number;
  name: string;
  /** Unqualified names: it runs with search_path set to the registry's schema. */
  sql: string;
}

// Model names are checked by assertModelName before any query; the CHECKs repeat the rule so a
// row written by hand or by an older bug cannot smuggle a path-like name into the fs store on export.
// Model columns use the "C" collation so listings sort bytewise, as the fs store's do.
const MODEL_COLUMN = `text COLLATE "C" NOT NULL CHECK (model ~ '^[a-z0-9][a-z0-9_-]{0,63}$')`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'registry tables',
    sql: `
      -- One row per model: the row writers lock (FOR NO KEY UPDATE) to serialise a model's
      -- registrations and routing changes, like the fs store's per-model lock file.
      CREATE TABLE models (
        model ${MODEL_COLUMN} PRIMARY KEY,
        created_at timestamptz NOT NULL
      );

      -- Content-addressed and shared between versions; readers re-hash the bytes on every load.
      CREATE TABLE artifacts (
        sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        bytes bytea NOT NULL,
        length integer NOT NULL CHECK (length > 0)
      );

      -- The record is the ModelVersion as returned; the columns are what queries and
      -- constraints need, and the CHECK keeps the two from drifting apart.
      CREATE TABLE versions (
        model ${MODEL_COLUMN} REFERENCES models (model),
        version integer NOT NULL CHECK (version >= 1),
        status text NOT NULL CHECK (status IN ('candidate', 'rejected', 'approved', 'champion', 'previous', 'archived')),
        run_id text NOT NULL CHECK (run_id <> ''),
        artifact_sha256 text NOT NULL REFERENCES artifacts (sha256),
        record jsonb NOT NULL,
        PRIMARY KEY (model, version),
        UNIQUE (model, run_id),
        CHECK (
          record->>'model' = model AND (record->>'version')::integer = version AND record->>'status' = status
          AND record->>'runId' = run_id AND record->'artifact'->>'sha256' = artifact_sha256
        )
      );

      -- Absent until a model is first routed (getRouting then answers the default, revision 0).
      CREATE TABLE routing (
        model ${MODEL_COLUMN} PRIMARY KEY REFERENCES models (model),
        revision integer NOT NULL CHECK (revision >= 1),
        record jsonb NOT NULL,
        CHECK (record->>'model' = model AND (record->>'revision')::integer = revision)
      );

      -- Append-only; id order is the order records were written.
      CREATE TABLE audit (
        id bigserial PRIMARY KEY,
        model ${MODEL_COLUMN} REFERENCES models (model),
        at timestamptz NOT NULL,
        actor text NOT NULL CHECK (btrim(actor) <> ''),
        action text NOT NULL CHECK (action <> ''),
        reason text NOT NULL,
        workflow_id text,
        version integer CHECK (version >= 1),
        details jsonb
      );
      CREATE INDEX audit_model_id ON audit (model, id);
    `,
  },
  {
    version: 2,
    name: 'serving directory',
    sql: `
      -- One row per serving worker, replaced on each announcement; rows are never deleted:
      -- readers ignore those not seen recently.
      CREATE TABLE serving_workers (
        id text COLLATE "C" PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$'),
        url text NOT NULL CHECK (url ~ '^https?://'),
        models text[] NOT NULL,
        at timestamptz NOT NULL
      );
    `,
  },
];

// The first key of the two-key advisory lock: "RATC", so Ratchet's locks are recognisable in pg_locks.
const LOCK_NAMESPACE = 0x52415443;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names become SQL identifiers (they cannot be query parameters), so only a safe alphabet passes. */
export function assertSchemaName(schema: unknown): asserts schema is string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new InvalidNameError(
      `PostgreSQL schema name ${JSON.stringify(schema)} is invalid: use 1-63 characters of a-z, 0-9 or "_", not starting with a digit`,
    );
  }
}

export function quoteIdent(name: string): string {
  assertSchemaName(name);
  return `"${name}"`;
}

export class MigrationError extends RegistryError {}

/**
 * Brings `schema` up to the newest migration; returns the versions it applied (empty when the
 * schema was already current). `migrations` is a parameter so tests can run a longer list.
 */
export async function migrate(
  pool: pg.Pool,
  schema: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  const ident = quoteIdent(schema);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, schema]);
    // Checked before creating: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when
    // the schema exists, and a production role is often granted only its own schema.
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (rowCount === 0) await client.query(`CREATE SCHEMA ${ident}`);
    await client.query(`SET LOCAL search_path TO ${ident}`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ratchet_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM ratchet_migrations ORDER BY version');
    const done = new Set(rows.map((r) => r.version));
    const newest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
    const unknown = rows.map((r) => r.version).filter((v) => v > newest);
    if (unknown.length > 0) {
      throw new MigrationError(
        `registry schema "${schema}" has migrations ${unknown.join(', ')} that this Ratchet does not know (it knows up to ${newest}): ` +
          `a newer Ratchet migrated it; upgrade this process instead of running old code against a newer schema`,
      );
    }
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      try {
        await client.query(migration.sql);
      } catch (error) {
        throw new MigrationError(
          `registry migration ${migration.version} (${migration.name}) failed in schema "${schema}": ${(error as Error).message}`,
          { cause: error },
        );
      }
      await client.query('INSERT INTO ratchet_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}
