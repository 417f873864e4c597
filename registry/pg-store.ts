/**
 * The registry in PostgreSQL, for several machines sharing one registry. Same records, same
 * audit trail and same guarantees as the fs store (records.ts and routing.ts build both):
 *
 *   - a model's writers serialise on its row in `models` (SELECT … FOR NO KEY UPDATE), so
 *     version numbers are consecutive with no gaps or collisions and routing revisions never
 *     lose an update, across connections, processes and machines;
 *   - every change and its audit record commit in one transaction, or neither does;
 *   - artifacts are content-addressed rows, re-hashed against the version record on every read.
 *
 * Readers do not lock. Model names are checked before any SQL and every value is a query
 * parameter; only the schema name (checked against a safe alphabet) is spliced into the text.
 * The schema is migrated on first use (pg-migrations.ts); `PgRegistryStore.open` does it eagerly.
 */
import pg from 'pg';
import type { AuditContext, AuditRecord, ModelVersion, NewVersion, Routing } from '../core/types';
import { migrate, quoteIdent } from './pg-migrations';
import {
  assertExpectedRevision,
  auditRecord,
  newVersionRecord,
  planVersionPatch,
  registerAuditDetails,
  routingAuditDetails,
  sha256Hex,
  unregisteredRoutedVersion,
  verifyArtifact,
  versionNotFound,
} from './records';
import { applyRoutingPatch, defaultRouting, routedVersions, sameRouting } from './routing';
import {
  InvalidInputError,
  RegistryError,
  assertAuditContext,
  assertSeenWithin,
  checkServingWorker,
  assertModelName,
  assertNewVersion,
  assertVersionNumber,
  assertVersionPatch,
  type AuditEvent,
  type RegistryStore,
  type RoutingUpdate,
  type ServingWorkerRecord,
  type VersionPatch,
} from './store';

export interface PgRegistryStoreOptions {
  /** postgres://user:password@host:port/database; the store then owns (and `close` ends) its pool. */
  connectionString?: string;
  /** A pool the caller owns and ends; used as is. */
  pool?: pg.Pool;
  /** Where the registry's tables live; created on first use. Default "ratchet". */
  schema?: string;
  now?: () => Date;
  /** Connections of an owned pool. Default 10. */
  poolSize?: number;
}

type Queryable = pg.Pool | pg.PoolClient;

export class PgRegistryStore implements RegistryStore {
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly now: () => Date;
  private readonly t: { models: string; artifacts: string; versions: string; routing: string; audit: string; servingWorkers: string };
  private readonly where: string;
  private migrated: Promise<void> | null = null;

  constructor(options: PgRegistryStoreOptions) {
    this.schema = options.schema ?? 'ratchet';
    const s = quoteIdent(this.schema);
    this.t = {
      models: `${s}.models`,
      artifacts: `${s}.artifacts`,
      versions: `${s}.versions`,
      routing: `${s}.routing`,
      audit: `${s}.audit`,
      servingWorkers: `${s}.serving_workers`,
    };
    this.now = options.now ?? (() => new Date());
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
      this.where = `PostgreSQL schema "${this.schema}"`;
    } else if (options.connectionString) {
      this.pool = new pg.Pool({
        connectionString: options.connectionString,
        max: options.poolSize ?? 10,
        // CLI commands open a registry and never close it; idle connections must not keep them alive.
        allowExitOnIdle: true,
      });
      // An idle connection dropped by the server emits 'error' on the pool; unhandled, that would
      // kill the process. The pool discards the connection and the next query reconnects or fails loudly.
      this.pool.on('error', () => {});
      this.ownsPool = true;
      this.where = `${redactConnectionString(options.connectionString)} (schema "${this.schema}")`;
    } else {
      throw new InvalidInputError('PgRegistryStore needs a connectionString or a pool');
    }
  }

  /** A store whose schema is migrated and whose database answered: fails here rather than on first use. */
  static async open(options: PgRegistryStoreOptions): Promise<PgRegistryStore> {
    const store = new PgRegistryStore(options);
    try {
      await store.ready();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** Applies pending migrations once per store; a failure is retried on the next call. */
  ready(): Promise<void> {
    this.migrated ??= migrate(this.pool, this.schema).then(
      () => undefined,
      (error: Error) => {
        this.migrated = null;
        throw new RegistryError(`registry at ${this.where} is not usable: ${error.message}`, { cause: error });
      },
    );
    return this.migrated;
  }

  /** Ends the pool if the store created it; a caller's pool is the caller's to end. */
  async close(): Promise<void> {
    if (this.ownsPool && !this.pool.ended) await this.pool.end();
  }

  async listModels(): Promise<string[]> {
    const { rows } = await this.query<{ model: string }>(
      `SELECT m.model FROM ${this.t.models} m
        WHERE EXISTS (SELECT 1 FROM ${this.t.versions} v WHERE v.model = m.model)
        ORDER BY m.model`,
    );
    return rows.map((r) => r.model);
  }

  async registerVersion(input: NewVersion, artifact: Uint8Array, ctx: AuditContext): Promise<ModelVersion> {
    assertNewVersion(input, artifact);
    assertAuditContext(ctx);
    const model = input.model;
    return this.transaction(async (client) => {
      await this.lockModel(client, model);
      const existing = await this.selectVersion(client, 'run_id = $2', [model, input.runId]);
      if (existing) return existing;

      const sha256 = sha256Hex(artifact);
      await this.storeArtifact(client, sha256, artifact);
      const { rows } = await client.query<{ next: number }>(
        `SELECT coalesce(max(version), 0) + 1 AS next FROM ${this.t.versions} WHERE model = $1`,
        [model],
      );
      const record = newVersionRecord(input, rows[0].next, { sha256, bytes: artifact.byteLength }, this.now().toISOString());
      await client.query(
        `INSERT INTO ${this.t.versions} (model, version, status, run_id, artifact_sha256, record)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [model, record.version, record.status, record.runId, sha256, JSON.stringify(record)],
      );
      await this.insertAudit(client, auditRecord(model, ctx, 'register', record.version, registerAuditDetails(record), record.createdAt));
      return record;
    });
  }

  async getVersion(model: string, version: number): Promise<ModelVersion> {
    assertModelName(model);
    assertVersionNumber(version);
    const record = await this.selectVersion(this.pool, 'version = $2', [model, version]);
    if (!record) throw versionNotFound(model, version);
    return record;
  }

  async findVersionByRun(model: string, runId: string): Promise<ModelVersion | null> {
    assertModelName(model);
    if (typeof runId !== 'string') throw new InvalidInputError(`run id ${JSON.stringify(runId)} is invalid: pass the registering workflow's id`);
    return this.selectVersion(this.pool, 'run_id = $2', [model, runId]);
  }

  async listVersions(model: string): Promise<ModelVersion[]> {
    assertModelName(model);
    const { rows } = await this.query<{ record: ModelVersion }>(
      `SELECT record FROM ${this.t.versions} WHERE model = $1 ORDER BY version`,
      [model],
    );
    return rows.map((r) => r.record);
  }

  async updateVersion(model: string, version: number, patch: VersionPatch, ctx: AuditContext): Promise<ModelVersion> {
    assertModelName(model);
    assertVersionNumber(version);
    assertVersionPatch(patch);
    assertAuditContext(ctx);
    return this.transaction(async (client) => {
      // The version's own row is lock enough: a patch touches nothing else of the model.
      const current = await this.selectVersion(client, 'version = $2', [model, version], 'FOR UPDATE');
      if (!current) throw versionNotFound(model, version);
      const plan = planVersionPatch(current, patch);
      if (!plan) return current;
      await client.query(
        `UPDATE ${this.t.versions} SET status = $3, record = $4 WHERE model = $1 AND version = $2`,
        [model, version, plan.next.status, JSON.stringify(plan.next)],
      );
      await this.insertAudit(client, auditRecord(model, ctx, plan.action, version, plan.details, this.now().toISOString()));
      return plan.next;
    });
  }

  async readArtifact(model: string, version: number): Promise<Uint8Array> {
    assertModelName(model);
    assertVersionNumber(version);
    const { rows } = await this.query<{ record: ModelVersion; bytes: Buffer | null }>(
      `SELECT v.record, a.bytes FROM ${this.t.versions} v
         LEFT JOIN ${this.t.artifacts} a ON a.sha256 = v.artifact_sha256
        WHERE v.model = $1 AND v.version = $2`,
      [model, version],
    );
    if (rows.length === 0) throw versionNotFound(model, version);
    const { record, bytes } = rows[0];
    // Hashed here, not in SQL: the check must not trust the component it is checking.
    const data = bytes === null ? null : ownBytes(bytes);
    verifyArtifact(record, data, `${this.where} table artifacts, sha256 ${record.artifact.sha256}`);
    return data;
  }

  async getRouting(model: string): Promise<Routing> {
    assertModelName(model);
    return (await this.selectRouting(this.pool, model)) ?? defaultRouting(model);
  }

  async updateRouting(
    model: string,
    patch: RoutingUpdate,
    ctx: AuditContext,
    options: { expectedRevision?: number } = {},
  ): Promise<Routing> {
    assertModelName(model);
    assertAuditContext(ctx);
    return this.transaction(async (client) => {
      await this.lockModel(client, model);
      const current = (await this.selectRouting(client, model)) ?? defaultRouting(model);
      assertExpectedRevision(current, options.expectedRevision);
      const proposed = applyRoutingPatch(current, typeof patch === 'function' ? patch(current) : patch);
      if (sameRouting(current, proposed)) return current;
      const wanted = routedVersions(proposed);
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM ${this.t.versions} WHERE model = $1 AND version = ANY($2::integer[])`,
        [model, wanted],
      );
      const missing = wanted.find((v) => !rows.some((r) => r.version === v));
      if (missing !== undefined) throw unregisteredRoutedVersion(model, missing);

      const next: Routing = { ...proposed, revision: current.revision + 1, updatedAt: this.now().toISOString() };
      await client.query(
        `INSERT INTO ${this.t.routing} (model, revision, record) VALUES ($1, $2, $3)
         ON CONFLICT (model) DO UPDATE SET revision = EXCLUDED.revision, record = EXCLUDED.record`,
        [model, next.revision, JSON.stringify(next)],
      );
      await this.insertAudit(
        client,
        auditRecord(model, ctx, 'routing', next.champion ?? undefined, routingAuditDetails(current, next), next.updatedAt),
      );
      return next;
    });
  }

  async readAudit(model: string, options: { limit?: number } = {}): Promise<AuditRecord[]> {
    assertModelName(model);
    const { limit } = options;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
      throw new InvalidInputError(`audit option "limit" is ${JSON.stringify(limit)}: use a positive integer`);
    }
    // The newest `limit` rows, then back into chronological order; LIMIT NULL means no limit.
    const { rows } = await this.query<AuditRow>(
      `SELECT * FROM (
         SELECT id, model, at, actor, action, reason, workflow_id, version, details
           FROM ${this.t.audit} WHERE model = $1 ORDER BY id DESC LIMIT $2
       ) newest ORDER BY id`,
      [model, limit ?? null],
    );
    return rows.map(fromAuditRow);
  }

  async recordEvent(model: string, event: AuditEvent, ctx: AuditContext): Promise<AuditRecord> {
    assertModelName(model);
    assertAuditContext(ctx);
    await this.ready();
    const record = auditRecord(model, ctx, event.action, event.version, event.details ?? {}, this.now().toISOString());
    const client = await this.pool.connect();
    try {
      await this.insertAudit(client, record);
    } finally {
      client.release();
    }
    return record;
  }

  async announceServingWorker(worker: ServingWorkerRecord): Promise<void> {
    const r = checkServingWorker(worker);
    await this.query(
      `INSERT INTO ${this.t.servingWorkers} (id, url, models, at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, models = EXCLUDED.models, at = EXCLUDED.at`,
      [r.id, r.url, r.models, r.at],
    );
  }

  async listServingWorkers(options: { seenWithinMs: number }): Promise<ServingWorkerRecord[]> {
    assertSeenWithin(options?.seenWithinMs);
    const since = new Date(this.now().getTime() - options.seenWithinMs).toISOString();
    const { rows } = await this.query<{ id: string; url: string; models: string[]; at: Date }>(
      `SELECT id, url, models, at FROM ${this.t.servingWorkers} WHERE at >= $1 ORDER BY id`,
      [since],
    );
    return rows.map((r) => ({ id: r.id, url: r.url, models: r.models, at: r.at.toISOString() }));
  }

  /**
   * Serialises this model's writers until the transaction ends. The row is created on a model's
   * first write; a concurrent first writer waits on the insert, then on the lock.
   */
  private async lockModel(client: pg.PoolClient, model: string): Promise<void> {
    const lock = `SELECT 1 FROM ${this.t.models} WHERE model = $1 FOR NO KEY UPDATE`;
    if ((await client.query(lock, [model])).rowCount === 1) return;
    await client.query(`INSERT INTO ${this.t.models} (model, created_at) VALUES ($1, $2) ON CONFLICT (model) DO NOTHING`, [
      model,
      this.now().toISOString(),
    ]);
    await client.query(lock, [model]);
  }

  /** Content-addressed: an intact row is kept as is (no rewrite); a damaged one is replaced. */
  private async storeArtifact(client: pg.PoolClient, sha256: string, data: Uint8Array): Promise<void> {
    await client.query(
      `INSERT INTO ${this.t.artifacts} AS a (sha256, bytes, length) VALUES ($1, $2, $3)
       ON CONFLICT (sha256) DO UPDATE SET bytes = EXCLUDED.bytes, length = EXCLUDED.length
        WHERE a.length <> octet_length(a.bytes) OR encode(sha256(a.bytes), 'hex') <> a.sha256`,
      [sha256, Buffer.from(data.buffer, data.byteOffset, data.byteLength), data.byteLength],
    );
  }

  private async selectVersion(
    db: Queryable,
    condition: 'version = $2' | 'run_id = $2',
    params: [string, number | string],
    lock: '' | 'FOR UPDATE' = '',
  ): Promise<ModelVersion | null> {
    const { rows } = await this.query<{ record: ModelVersion }>(
      `SELECT record FROM ${this.t.versions} WHERE model = $1 AND ${condition} ${lock}`,
      params,
      db,
    );
    return rows[0]?.record ?? null;
  }

  private async selectRouting(db: Queryable, model: string): Promise<Routing | null> {
    const { rows } = await this.query<{ record: Routing }>(`SELECT record FROM ${this.t.routing} WHERE model = $1`, [model], db);
    return rows[0]?.record ?? null;
  }

  private async insertAudit(client: pg.PoolClient, r: AuditRecord): Promise<void> {
    await client.query(
      `INSERT INTO ${this.t.audit} (model, at, actor, action, reason, workflow_id, version, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [r.model, r.at, r.actor, r.action, r.reason, r.workflowId ?? null, r.version ?? null, r.details === undefined ? null : JSON.stringify(r.details)],
    );
  }

  /** Outside a transaction: makes sure the schema is migrated first. */
  private async query<R extends pg.QueryResultRow>(text: string, params: unknown[] = [], db: Queryable = this.pool) {
    if (db === this.pool) await this.ready();
    try {
      return await db.query<R>(text, params);
    } catch (error) {
      throw explainInputError(error);
    }
  }

  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.ready();
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is handed back as broken, so the pool drops it.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw explainInputError(error);
    } finally {
      client.release(broken);
    }
  }
}

/**
 * PostgreSQL text and jsonb cannot hold the NUL character, which JSON (and so the fs store)
 * can: say so in the registry's terms rather than as an encoding error.
 */
function explainInputError(error: unknown): unknown {
  const code = (error as { code?: unknown })?.code;
  if (code !== '22021' && code !== '22P05') return error;
  return new InvalidInputError(
    `PostgreSQL cannot store the NUL character (\\u0000) in text or JSON (${(error as Error).message}): ` +
      `remove it from the version record (tags, params, metrics names), the run id or the audit reason`,
    { cause: error },
  );
}

interface AuditRow {
  id: string;
  model: string;
  at: Date;
  actor: string;
  action: string;
  reason: string;
  workflow_id: string | null;
  version: number | null;
  details: Record<string, unknown> | null;
}

function fromAuditRow(row: AuditRow): AuditRecord {
  return {
    at: row.at.toISOString(),
    model: row.model,
    actor: row.actor,
    action: row.action,
    reason: row.reason,
    ...(row.workflow_id !== null ? { workflowId: row.workflow_id } : {}),
    ...(row.version !== null ? { version: row.version } : {}),
    ...(row.details !== null ? { details: row.details } : {}),
  };
}

/**
 * A plain Uint8Array over memory of its own. pg decodes small bytea values into slices of Node's
 * shared Buffer pool; handing out such a slice would expose the pool through `.buffer`.
 */
function ownBytes(buffer: Buffer): Uint8Array {
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) return new Uint8Array(buffer.buffer);
  return new Uint8Array(buffer);
}

/** For messages and logs: the URL without its password. */
export function redactConnectionString(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}
