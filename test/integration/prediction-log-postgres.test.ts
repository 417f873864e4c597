/**
 * The prediction log in PostgreSQL (RATCHET_PREDICTION_LOG=postgres://…) against a real server:
 * the same records written to PostgreSQL and to Parquet read back identically, tables are created
 * on start (also by several workers at once), and a serving worker logs there end to end.
 *
 * The server is RATCHET_TEST_POSTGRES_URL when set, else the machine's own PostgreSQL via
 * ensureTestPostgres; the file skips only when there is none. Every run uses fresh schemas and
 * drops them at the end.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import pg from 'pg';
import { readFeedback, readLoggedFeatures, readPredictionLog } from '../../data/prediction-log';
import type { FeedbackRecord, PredictionRecord } from '../../data/prediction-log-format';
import { ParquetLogWriter } from '../../data/prediction-log-parquet';
import { PgLogStore } from '../../data/prediction-log-pg';
import { promoteToChampion } from '../../registry/lifecycle';
import { ensureTestPostgres } from '../../scripts/test-postgres';
import { buildServingApp } from '../../workers/serving/app';
import { FEATURES, ROW, ctx, jsonClient, testRegistry, trainOnnx } from '../helpers/serving-models';

const url = process.env.RATCHET_TEST_POSTGRES_URL || (await ensureTestPostgres());

if (url === null) {
  test('prediction log in PostgreSQL', { skip: 'no PostgreSQL on this machine: run .ci/install-postgres.sh or set RATCHET_TEST_POSTGRES_URL' }, () => {});
} else {
  const runSchema = `ratchet_log_test_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  const schemas: string[] = [];
  const freshSchema = (label: string) => {
    const name = `${runSchema}_${label}`;
    schemas.push(name);
    return name;
  };
  const T = Date.parse('2025-03-10T10:00:00.000Z');

  const predictions: PredictionRecord[] = Array.from({ length: 12 }, (_, i) => ({
    request_id: `r${i}`,
    entity_id: i === 11 ? 'nul\u0000id' : `e${i % 4}`,
    model: i === 10 ? 'fraud' : 'churn',
    version: i < 8 ? 1 : 2,
    role: i < 6 ? 'champion' : i < 9 ? 'candidate' : 'shadow',
    // Shadow rows log no features of their own (they mirror the served row).
    features: i >= 9 ? null : { age: 30 + i, income: i % 3 === 0 ? null : 1000 * i, plan: i % 2 ? 'pro' : 'basic' },
    score: i === 7 ? null : i / 12,
    label: i === 7 ? null : i / 12 >= 0.5,
    latency_ms: 0.031 * (i + 1),
    status: i === 7 ? 'error' : 'ok',
    error: i === 7 ? 'boom' : null,
    at: T + i * 1000 + 123,
  }));
  const feedback: FeedbackRecord[] = [
    { model: 'churn', request_id: 'r2', entity_id: null, label: 1, at: T + 60_000, received_at: T + 60_001 },
    { model: 'churn', request_id: null, entity_id: 'e1', label: 0, at: T + 120_000, received_at: T + 120_000 },
    { model: 'fraud', request_id: 'r10', entity_id: null, label: 1, at: T + 60_000, received_at: T + 60_000 },
  ];

  after(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  describe('PostgreSQL prediction log', () => {
    let logDir: string;
    let schema: string;

    before(async () => {
      schema = freshSchema('same');
      const store = new PgLogStore({ url, schema });
      logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-pglog-'));
      const writer = new ParquetLogWriter({ logDir, workerId: 'w' });
      try {
        await store.write('predictions', predictions);
        await store.write('feedback', feedback);
        await writer.write('predictions', predictions);
        await writer.write('feedback', feedback);
      } finally {
        await store.close();
        await writer.close();
      }
    });
    after(() => fs.rm(logDir, { recursive: true, force: true }));

    it('reads back exactly what the Parquet log reads back, for every reader', async () => {
      const window = { model: 'churn', from: T, to: T + 3_600_000 };
      const fromPg = await readPredictionLog({ url, schema, ...window });
      const fromParquet = await readPredictionLog({ logDir, ...window });
      assert.equal(fromPg.rowCount, 11);
      // NUL cannot be stored in PostgreSQL text: it is replaced, not a failed batch.
      const nul = fromParquet.entityId.indexOf('nul\u0000id');
      assert.ok(nul >= 0);
      assert.equal(fromPg.entityId[nul], 'nul\uFFFDid');
      fromPg.entityId[nul] = fromParquet.entityId[nul];
      assert.deepEqual(fromPg, fromParquet);
      assert.equal(fromPg.coverage.byRequestId, 1);
      assert.equal(fromPg.coverage.byEntityId, 3); // r1, r5 and r9: entity e1, all before its feedback

      const filtered = { ...window, roles: ['candidate' as const], versions: [2] };
      assert.deepEqual(await readPredictionLog({ url, schema, ...filtered }), await readPredictionLog({ logDir, ...filtered }));
      assert.deepEqual(await readFeedback({ url, schema, model: 'churn', from: T }), await readFeedback({ logDir, model: 'churn', from: T }));
      const features = { ...window, features: FEATURES };
      assert.deepEqual(await readLoggedFeatures({ url, schema, ...features }), await readLoggedFeatures({ logDir, ...features }));
    });

    it('creates its tables once when several workers start at the same time', async () => {
      const fresh = freshSchema('race');
      const stores = Array.from({ length: 4 }, () => new PgLogStore({ url, schema: fresh }));
      try {
        await Promise.all(stores.map((s) => s.ready()));
        const { rows } = await admin.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [fresh]);
        assert.deepEqual(rows.map((r) => r.table_name), ['feedback', 'predictions']);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });
  });

  describe('a serving worker logging to PostgreSQL', () => {
    it('logs predictions and feedback there, flushed on close', async () => {
      const schema = freshSchema('serving');
      const registry = await testRegistry();
      await registry.register('churn', 'run-1', trainOnnx(1));
      await promoteToChampion(registry.store, 'churn', 1, ctx);
      const started = Date.now() - 1000;
      const serving = await buildServingApp({ store: registry.store, log: { location: { url, schema }, flushIntervalMs: 60_000 } });
      const ids: string[] = [];
      try {
        await serving.app.listen({ host: '127.0.0.1', port: 0 });
        const client = jsonClient((serving.app.server.address() as AddressInfo).port, 4);
        try {
          for (let i = 0; i < 25; i++) ids.push((await client.post('/v1/models/churn/predict', { entity_id: `p${i}`, features: ROW })).body.request_id);
          const fb = await client.post('/v1/models/churn/feedback', { items: ids.slice(0, 5).map((request_id) => ({ request_id, label: 1 })) });
          assert.deepEqual([fb.status, fb.body], [202, { accepted: 5 }]);
        } finally {
          client.close();
        }
      } finally {
        await serving.close(); // the long interval: only close's flush writes anything
        await registry.cleanup();
      }
      const log = await readPredictionLog({ url, schema, model: 'churn', from: started, to: Date.now() + 1000 });
      assert.deepEqual(new Set(log.requestId), new Set(ids));
      assert.equal(log.coverage.byRequestId, 5);
    });

    it('fails to start, naming the database, when the log cannot be reached', async () => {
      const registry = await testRegistry();
      try {
        await assert.rejects(
          buildServingApp({ store: registry.store, log: { location: { url: 'postgres://nobody:secret@127.0.0.1:1/none', schema: 'x' } } }),
          (error: Error) => /prediction log at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none/.test(error.message) && !error.message.includes('secret'),
        );
      } finally {
        await registry.cleanup();
      }
    });
  });
}
