/**
 * The PostgreSQL store against a real PostgreSQL: the store contract, then what only a database
 * can show (migrations racing, writers in other processes, a failure inside a transaction).
 *
 * The server is RATCHET_TEST_POSTGRES_URL when set (unreachable means failure, never a skip), else
 * the machine's own PostgreSQL via ensureTestPostgres; the file skips only when there is none.
 * Every run works in a fresh schema of its own and drops it at the end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ratchetPaths } from '../../core/paths';
import { MIGRATIONS, MigrationError, migrate } from '../../registry/pg-migrations';
import { openRegistry } from '../../registry/open';
import { PgRegistryStore } from '../../registry/pg-store';
import { InvalidInputError } from '../../registry/store';
import { ensureTestPostgres } from '../../scripts/test-postgres';
import { bytes, newVersion, registryContract } from '../helpers/registry-contract';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ctx = { actor: 'alice', reason: 'postgres test' };
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const url = process.env.RATCHET_TEST_POSTGRES_URL || (await ensureTestPostgres());

if (url === null) {
  test('PostgreSQL registry store', { skip: 'no PostgreSQL on this machine: run .ci/install-postgres.sh or set RATCHET_TEST_POSTGRES_URL' }, () => {});
} else {
  const runSchema = `ratchet_test_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  const schemas = new Set<string>([runSchema]);
  /** Another fresh schema for this run, dropped with the others at the end. */
  const freshSchema = (label: string) => {
    const name = `${runSchema}_${label}`;
    schemas.add(name);
    return name;
  };

  before(async () => {
    // Fails the whole file, loudly, when the configured server does not answer.
    await admin.query('SELECT 1');
  });

  after(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  registryContract('postgres', async ({ now }) => {
    const store = new PgRegistryStore({ connectionString: url, schema: runSchema, now });
    await store.ready();
    await admin.query(
      `TRUNCATE "${runSchema}".audit, "${runSchema}".routing, "${runSchema}".versions, "${runSchema}".artifacts, "${runSchema}".models, "${runSchema}".serving_workers RESTART IDENTITY`,
    );
    return {
      store,
      close: () => store.close(),
      async corruptArtifact(sha256) {
        const { rowCount } = await admin.query(
          `UPDATE "${runSchema}".artifacts SET bytes = set_byte(bytes, 0, get_byte(bytes, 0) # 255) WHERE sha256 = $1`,
          [sha256],
        );
        assert.equal(rowCount, 1);
      },
    };
  });

  describe('PostgreSQL store only', () => {
    test('migrations: concurrent starts on a fresh schema apply each migration once; later starts apply nothing', async () => {
      const schema = freshSchema('mig');
      const stores = range(1, 4).map(() => new PgRegistryStore({ connectionString: url, schema, poolSize: 2 }));
      try {
        await Promise.all(stores.map((s) => s.ready()));
        const { rows } = await admin.query(`SELECT version, name FROM "${schema}".ratchet_migrations ORDER BY version`);
        assert.deepEqual(rows, MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
        assert.deepEqual(await migrate(admin, schema), []);

        // A later migration is applied once, by whichever of two racing runs gets the lock first.
        const next = [...MIGRATIONS, { version: 99, name: 'test column', sql: 'ALTER TABLE models ADD COLUMN note text' }];
        const applied = await Promise.all([migrate(admin, schema, next), migrate(admin, schema, next)]);
        assert.deepEqual(applied.flat(), [99]);
        // Old code against the newer schema refuses to run rather than guess.
        await assert.rejects(migrate(admin, schema), (error: Error) => {
          assert.ok(error instanceof MigrationError);
          assert.match(error.message, /migrations 99 that this Ratchet does not know/);
          return true;
        });
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    test('a failing migration rolls back whole, and the next start retries it', async () => {
      const schema = freshSchema('migfail');
      const next = MIGRATIONS.length + 1;
      const broken = [...MIGRATIONS, { version: next, name: 'broken', sql: 'ALTER TABLE models ADD COLUMN ok text; SELECT no_such_function()' }];
      await assert.rejects(migrate(admin, schema, broken), new RegExp(`registry migration ${next} \\(broken\\) failed`));
      const { rows } = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      assert.equal(rows.length, 0, 'the schema itself was created in the failed transaction and must be gone');
      assert.deepEqual(await migrate(admin, schema), MIGRATIONS.map((m) => m.version));
    });

    test('two processes registering and routing one model concurrently get distinct consecutive versions and lose no update', async () => {
      // A schema neither child has seen: they also race each other's migrations.
      const schema = freshSchema('procs');
      const perWriter = 15;
      await Promise.all(['left', 'right'].map((writer) => runChild(url, schema, writer, perWriter)));

      const store = new PgRegistryStore({ connectionString: url, schema });
      try {
        const versions = await store.listVersions('churn');
        assert.deepEqual(versions.map((v) => v.version), range(1, 2 * perWriter));
        assert.equal(new Set(versions.map((v) => v.runId)).size, 2 * perWriter);
        for (const writer of ['left', 'right']) {
          assert.equal(versions.filter((v) => v.runId.startsWith(`${writer}-`)).length, perWriter);
        }
        const routing = await store.getRouting('churn');
        assert.equal(routing.revision, 2 * perWriter);
        assert.equal(routing.percent, 2 * perWriter);
        const audit = await store.readAudit('churn');
        assert.equal(audit.filter((r) => r.action === 'register').length, 2 * perWriter);
        assert.deepEqual(audit.filter((r) => r.action === 'routing').map((r) => r.details?.revision), range(1, 2 * perWriter));
      } finally {
        await store.close();
      }
    });

    test('a failure between a change and its audit record rolls the change back: routing, registration and status', async () => {
      const schema = freshSchema('fail');
      const store = await PgRegistryStore.open({ connectionString: url, schema });
      try {
        await store.registerVersion(newVersion('run-1'), bytes('one'), ctx);
        await store.registerVersion(newVersion('run-2'), bytes('two'), ctx);
        const routed = await store.updateRouting('churn', { champion: 1 }, ctx);
        const auditBefore = await store.readAudit('churn');

        // The database refuses audit records with this reason, after the change itself was written.
        await admin.query(`
          CREATE FUNCTION "${schema}".refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF NEW.reason = 'inject audit failure' THEN RAISE EXCEPTION 'injected audit failure'; END IF;
            RETURN NEW;
          END $$;
          CREATE TRIGGER refuse_audit BEFORE INSERT ON "${schema}".audit FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_audit();`);
        const failing = { actor: 'mallory', reason: 'inject audit failure' };

        await assert.rejects(store.updateRouting('churn', { champion: 2, previous: 1 }, failing), /injected audit failure/);
        assert.deepEqual(await store.getRouting('churn'), routed);

        await assert.rejects(store.registerVersion(newVersion('run-3'), bytes('three'), failing), /injected audit failure/);
        assert.equal(await store.findVersionByRun('churn', 'run-3'), null);
        const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".artifacts`);
        assert.equal(rows[0].n, 2, 'the new artifact row rolls back with its version');

        await assert.rejects(store.updateVersion('churn', 2, { status: 'approved' }, failing), /injected audit failure/);
        assert.equal((await store.getVersion('churn', 2)).status, 'candidate');
        assert.deepEqual(await store.readAudit('churn'), auditBefore);

        // The rolled-back registration consumed no number: the next one is 3, with no gap.
        assert.equal((await store.registerVersion(newVersion('run-3'), bytes('three'), ctx)).version, 3);
        assert.equal((await store.updateRouting('churn', { champion: 2, previous: 1 }, ctx)).revision, routed.revision + 1);
      } finally {
        await store.close();
      }
    });

    test('the schema refuses rows that break the rules, whoever writes them', async () => {
      const schema = freshSchema('checks');
      const store = await PgRegistryStore.open({ connectionString: url, schema });
      try {
        await store.registerVersion(newVersion('run-1'), bytes('one'), ctx);
        await assert.rejects(admin.query(`INSERT INTO "${schema}".models (model, created_at) VALUES ('../etc', now())`), /check constraint/);
        await assert.rejects(admin.query(`UPDATE "${schema}".versions SET status = 'approved'`), /check constraint/, 'status column and record must agree');
        await assert.rejects(admin.query(`INSERT INTO "${schema}".audit (model, at, actor, action, reason) VALUES ('churn', now(), ' ', 'x', 'y')`), /check constraint/);
        await assert.rejects(admin.query(`DELETE FROM "${schema}".artifacts`), /foreign key/);
      } finally {
        await store.close();
      }
    });

    test('refuses the NUL character, which PostgreSQL cannot store, as invalid input, storing nothing', async () => {
      const schema = freshSchema('nul');
      const store = await PgRegistryStore.open({ connectionString: url, schema });
      try {
        await assert.rejects(store.registerVersion(newVersion('run-1'), bytes('one'), { actor: 'alice', reason: 'bad\u0000reason' }), (error: Error) => {
          assert.ok(error instanceof InvalidInputError);
          assert.match(error.message, /NUL character/);
          return true;
        });
        await assert.rejects(store.registerVersion({ ...newVersion('run-1'), tags: { note: 'a\u0000b' } }, bytes('one'), ctx), InvalidInputError);
        await assert.rejects(store.findVersionByRun('churn', 'run\u0000'), InvalidInputError);
        assert.deepEqual(await store.listModels(), []);
        assert.equal((await store.registerVersion(newVersion('run-1'), bytes('one'), ctx)).version, 1);
      } finally {
        await store.close();
      }
    });

    test('openRegistry returns a working PostgreSQL store for RATCHET_REGISTRY=postgres://...; a caller\'s pool stays open', async () => {
      const schema = freshSchema('open');
      const opened = openRegistry(ratchetPaths(path.join(repoRoot, '.ratchet-unused')), { RATCHET_REGISTRY: url, RATCHET_REGISTRY_SCHEMA: schema });
      assert.ok(opened instanceof PgRegistryStore);
      try {
        const v1 = await opened.registerVersion(newVersion('run-1'), bytes('one'), ctx);
        const shared = new PgRegistryStore({ pool: admin, schema });
        assert.deepEqual(await shared.getVersion('churn', 1), v1);
        await shared.close();
        assert.equal((await admin.query('SELECT 1 AS one')).rows[0].one, 1);
        const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".versions`);
        assert.equal(rows[0].n, 1);
      } finally {
        await opened.close();
      }
    });

    test('throughput: 100 registrations and 100 routing updates, one after another', async (t) => {
      const schema = freshSchema('speed');
      const store = await PgRegistryStore.open({ connectionString: url, schema });
      try {
        let started = performance.now();
        for (let i = 1; i <= 100; i++) await store.registerVersion(newVersion(`run-${i}`), bytes(`model ${i}`), ctx);
        const registerMs = performance.now() - started;
        started = performance.now();
        for (let i = 1; i <= 100; i++) await store.updateRouting('churn', { champion: (i % 100) + 1, previous: i }, ctx);
        const routingMs = performance.now() - started;
        t.diagnostic(`100 registrations: ${registerMs.toFixed(0)} ms; 100 routing updates: ${routingMs.toFixed(0)} ms`);
        assert.deepEqual((await store.listVersions('churn')).map((v) => v.version), range(1, 100));
        assert.equal((await store.getRouting('churn')).revision, 100);
      } finally {
        await store.close();
      }
    });
  });
}

/** The child's whole program: PER_WRITER registrations and routing bumps, all in flight at once. */
const childProgram = `
const { PgRegistryStore } = await import(process.env.STORE_MODULE);
const store = new PgRegistryStore({ connectionString: process.env.PG_URL, schema: process.env.PG_SCHEMA, poolSize: 4 });
const name = process.env.WRITER;
const ctx = { actor: name, reason: 'concurrency test' };
const jobs = [];
for (let i = 0; i < Number(process.env.PER_WRITER); i++) {
  jobs.push(store.registerVersion({
    model: 'churn', runId: name + '-' + i, trainer: { kind: 'logistic', params: {} },
    features: [{ name: 'age', type: 'numeric' }], threshold: 0.5, snapshot: null,
    metrics: {}, gates: [], reportPath: null, tags: {},
  }, new TextEncoder().encode(name + i), ctx));
  jobs.push(store.updateRouting('churn', (cur) => ({ percent: cur.percent + 1 }), ctx));
}
await Promise.all(jobs);
await store.close();
`;

function runChild(pgUrl: string, schema: string, writer: string, perWriter: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childProgram], {
      cwd: repoRoot,
      env: {
        ...process.env,
        STORE_MODULE: path.join(repoRoot, 'registry', 'pg-store.ts'),
        PG_URL: pgUrl,
        PG_SCHEMA: schema,
        WRITER: writer,
        PER_WRITER: String(perWriter),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child ${writer} exited ${code}: ${stderr}`))));
  });
}
