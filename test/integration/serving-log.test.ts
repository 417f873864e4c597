/**
 * End to end: a running serving worker logs every served and shadow prediction and every piece of
 * feedback, and readPredictionLog gives them back with the right roles, versions, scores, ids and
 * joined ground truth — in canary mode and in shadow mode.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { listValue } from '@duckdb/node-api';
import { withDuckDB } from '../../data/duckdb';
import { readLoggedFeatures, readPredictionLog, type PredictionLog } from '../../data/prediction-log';
import { clearCandidate, promoteToChampion, startCandidate } from '../../registry/lifecycle';
import { OnnxModel } from '../../scoring/onnx-model';
import { buildServingApp, type ServingApp } from '../../workers/serving/app';
import type { FeatureSpec } from '../../core/types';
import { fitLogistic } from '../../trainers/logistic';
import { logisticToOnnx } from '../../trainers/onnx-export';
import { FEATURES, ROW, ctx, jsonClient, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

const NARROW: FeatureSpec[] = FEATURES.filter((f) => f.name !== 'plan');

/** A real model over age and income only. */
function narrowOnnx(): Uint8Array {
  const n = 200;
  const age = Float64Array.from({ length: n }, (_, i) => 20 + (i % 50));
  const income = Float64Array.from({ length: n }, (_, i) => 20_000 + ((i * 7919) % 60_000));
  const labels = Float64Array.from(age, (a, i) => (a + (i % 7) > 45 ? 1 : 0));
  return logisticToOnnx(fitLogistic({ rowCount: n, columns: { age, income } }, labels, NARROW, { l2: 1 }), { modelName: 'narrow', producerVersion: '0' });
}

describe('prediction log of a running worker', () => {
  let registry: TestRegistry;
  let serving: ServingApp;
  let logDir: string;
  let client: ReturnType<typeof jsonClient>;
  const started = Date.now() - 1000;

  /** Routing changes reach the pool by polling; refresh() makes the test wait for exactly one sync. */
  const applied = () => serving.pool.refresh();
  const read = async (options: { roles?: ('champion' | 'candidate' | 'shadow')[] } = {}): Promise<PredictionLog> => {
    await serving.log!.flush();
    return readPredictionLog({ logDir, model: 'churn', from: started, to: Date.now() + 1000, ...options });
  };
  const rowsOf = (log: PredictionLog, requestIds: Set<string>) =>
    log.requestId.flatMap((id, i) => (requestIds.has(id.split('#')[0]) ? [{ id, role: log.role[i], version: log.version[i], score: log.score[i], status: log.status[i], error: log.error[i] }] : []));

  before(async () => {
    registry = await testRegistry();
    await registry.register('churn', 'run-1', trainOnnx(1));
    await registry.register('churn', 'run-2', trainOnnx(-1));
    // Version 3 takes fewer features than requests carry: as a shadow it must log errors, not crash.
    await registry.register('churn', 'run-3', narrowOnnx(), { features: NARROW });
    await promoteToChampion(registry.store, 'churn', 1, ctx);
    logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-serving-log-'));
    serving = await buildServingApp({ store: registry.store, pollIntervalMs: 60_000, log: { location: { logDir }, flushIntervalMs: 50 } });
    await serving.app.listen({ host: '127.0.0.1', port: 0 });
    client = jsonClient((serving.app.server.address() as AddressInfo).port, 16);
  });
  after(async () => {
    client.close();
    await serving.close();
    await registry.cleanup();
    await fs.rm(logDir, { recursive: true, force: true });
  });

  it('canary: every served row is logged once, with the role, version and score its response had', async () => {
    const routing = await startCandidate(registry.store, 'churn', 2, { mode: 'canary', percent: 50 }, ctx);
    await applied();
    const responses = await Promise.all(
      Array.from({ length: 120 }, (_, i) => client.post('/v1/models/churn/predict', { entity_id: `canary-${i}`, features: { ...ROW, age: 20 + (i % 50) } })),
    );
    const batch = await client.post('/v1/models/churn/predict', { instances: Array.from({ length: 10 }, (_, i) => ({ entity_id: `canary-${i}`, features: ROW })) });
    assert.equal(batch.status, 200);

    const log = await read();
    const ids = new Set([...responses.map((r) => r.body.request_id as string), batch.body.request_id as string]);
    const logged = rowsOf(log, ids);
    assert.equal(logged.length, 130);
    const byId = new Map(logged.map((r) => [r.id, r]));
    for (const { status, body } of responses) {
      assert.equal(status, 200);
      const row = byId.get(body.request_id)!;
      assert.deepEqual([row.role, row.version, row.score, row.status], [body.role, body.version, body.score, 'ok']);
    }
    // Batch rows carry "<request_id>#<index>", so feedback can name one row of a batch.
    (batch.body.predictions as { role: string; version: number; score: number }[]).forEach((p, i) => {
      const row = byId.get(`${batch.body.request_id}#${i}`)!;
      assert.deepEqual([row.role, row.version, row.score], [p.role, p.version, p.score]);
    });
    const roles = new Set(logged.map((r) => r.role));
    assert.deepEqual([...roles].sort(), ['candidate', 'champion'], 'a 50 % canary serves both');
    assert.equal(log.role.filter((r) => r === 'shadow').length, 0);

    // The logged inputs come back as the model's features.
    const features = await readLoggedFeatures({ logDir, model: 'churn', from: started, to: Date.now() + 1000, features: FEATURES });
    const ages = [...(features.columns.age as Float64Array)];
    for (let i = 0; i < 50; i++) assert.ok(ages.includes(20 + i), `age ${20 + i} missing from the logged features`);

    const ready = (await (await fetch(`http://127.0.0.1:${(serving.app.server.address() as AddressInfo).port}/readyz`)).json()) as any;
    assert.equal(ready.models[0].routingRevision, routing.revision);
  });

  it('feedback over HTTP is logged and joined: by request id, by entity, with coverage', async () => {
    const before = Date.now();
    const a = await client.post('/v1/models/churn/predict', { entity_id: 'fb-a', features: ROW });
    const b = await client.post('/v1/models/churn/predict', { entity_id: 'fb-b', features: ROW });
    const c = await client.post('/v1/models/churn/predict', { entity_id: 'fb-c', features: ROW });
    const one = await client.post('/v1/models/churn/feedback', { request_id: a.body.request_id, label: 1 });
    assert.deepEqual([one.status, one.body], [202, { accepted: 1 }]);
    const many = await client.post('/v1/models/churn/feedback', {
      items: [
        { entity_id: 'fb-b', label: 0 },
        { entity_id: 'fb-c', label: 1, at: new Date(before - 60_000).toISOString() }, // before the prediction: no match
      ],
    });
    assert.deepEqual([many.status, many.body], [202, { accepted: 2 }]);

    const bad = await client.post('/v1/models/churn/feedback', { items: [{ request_id: 'x', label: 1 }, { entity_id: 'y', label: 3 }] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'items[1].label');
    const none = await client.post('/v1/models/churn/feedback', { label: 1 });
    assert.deepEqual([none.status, none.body.error.field], [400, 'request_id']);
    assert.equal((await client.post('/v1/models/fraud/feedback', { request_id: 'x', label: 1 })).status, 404);

    const log = await read();
    const at = (id: string) => log.requestId.indexOf(id);
    assert.deepEqual([log.groundTruth[at(a.body.request_id)], log.matchedBy[at(a.body.request_id)]], [1, 'request_id']);
    assert.deepEqual([log.groundTruth[at(b.body.request_id)], log.matchedBy[at(b.body.request_id)]], [0, 'entity_id']);
    assert.ok(Number.isNaN(log.groundTruth[at(c.body.request_id)]));
    assert.equal(log.coverage.labelled, 2);
    assert.equal(log.coverage.rows, log.rowCount);
  });

  it('shadow: the champion answers, and the candidate’s rows are logged as role "shadow" under the same request ids', async () => {
    await clearCandidate(registry.store, 'churn', ctx);
    await startCandidate(registry.store, 'churn', 2, { mode: 'shadow', percent: 100 }, ctx);
    await applied();
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => client.post('/v1/models/churn/predict', { entity_id: `shadow-${i}`, features: ROW })));
    for (const r of responses) assert.deepEqual([r.status, r.body.role, r.body.version], [200, 'champion', 1]);
    const ids = new Set(responses.map((r) => r.body.request_id as string));

    // Shadow rows are scored after the responses: wait (bounded) until all 40 are logged.
    let shadow: ReturnType<typeof rowsOf> = [];
    for (let i = 0; i < 100 && shadow.length < 40; i++) {
      shadow = rowsOf(await read({ roles: ['shadow'] }), ids);
      if (shadow.length < 40) await sleep(20);
    }
    assert.equal(shadow.length, 40);
    const candidate = await OnnxModel.load(trainOnnx(-1), FEATURES);
    const expected = (await candidate.scoreRows([ROW]))[0];
    await candidate.close();
    for (const row of shadow) {
      assert.deepEqual([row.role, row.version, row.status], ['shadow', 2, 'ok']);
      assert.ok(Math.abs(row.score - expected) < 1e-6);
    }
    const champion = rowsOf(await read({ roles: ['champion'] }), ids);
    assert.deepEqual(new Set(champion.map((r) => r.id)), ids, 'one champion row per request');
    assert.deepEqual(new Set(shadow.map((r) => r.id)), ids, 'one shadow row per request, same ids');
    // The inputs are logged once, on the served row; the shadow row that mirrors it has none.
    const featuresByRole = await withDuckDB(async (db) => {
      const result = await db.runAndReadAll(
        `SELECT role, count(*) FILTER (WHERE features IS NOT NULL)::INTEGER FROM read_parquet($files) WHERE list_contains($ids, request_id) GROUP BY role ORDER BY role`,
        { files: listValue(await logFiles(logDir)), ids: listValue([...ids]) },
      );
      return result.getRows();
    });
    assert.deepEqual(featuresByRole, [['champion', 40], ['shadow', 0]]);
  });

  it('shadow: rows the candidate cannot take are logged as errors saying why', async () => {
    await clearCandidate(registry.store, 'churn', ctx);
    await startCandidate(registry.store, 'churn', 3, { mode: 'shadow', percent: 100 }, ctx);
    await applied();
    const response = await client.post('/v1/models/churn/predict', { entity_id: 'shadow-bad', features: ROW });
    assert.equal(response.status, 200);
    let rows: ReturnType<typeof rowsOf> = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      rows = rowsOf(await read({ roles: ['shadow'] }), new Set([response.body.request_id as string]));
      if (rows.length === 0) await sleep(20);
    }
    assert.equal(rows.length, 1);
    assert.equal(rows[0].version, 3);
    assert.equal(rows[0].status, 'error');
    assert.match(rows[0].error!, /not valid for the candidate: features\.plan is not a feature of this model/);
    assert.ok(Number.isNaN(rows[0].score));
  });
});

describe('a worker whose log directory cannot be written', () => {
  it('fails to start, naming the directory and the setting to change', async () => {
    const registry = await testRegistry();
    const file = path.join(registry.root, 'a-file');
    await fs.writeFile(file, 'not a directory');
    try {
      await assert.rejects(
        buildServingApp({ store: registry.store, log: { location: { logDir: path.join(file, 'logs') } } }),
        /prediction log directory .*a-file\/logs is not writable: .*RATCHET_PREDICTION_LOG/,
      );
    } finally {
      await registry.cleanup();
    }
  });
});

describe('a worker without a prediction log', () => {
  it('refuses feedback with 503 naming why, and serves predictions as usual', async () => {
    const registry = await testRegistry();
    await registry.register('churn', 'run-1', trainOnnx(1));
    await promoteToChampion(registry.store, 'churn', 1, ctx);
    const serving = await buildServingApp({ store: registry.store });
    try {
      assert.equal(serving.log, null);
      await serving.app.listen({ host: '127.0.0.1', port: 0 });
      const client = jsonClient((serving.app.server.address() as AddressInfo).port, 1);
      try {
        assert.equal((await client.post('/v1/models/churn/predict', { features: ROW })).status, 200);
        const refused = await client.post('/v1/models/churn/feedback', { request_id: 'r', label: 1 });
        assert.equal(refused.status, 503);
        assert.equal(refused.body.error.code, 'log_off');
      } finally {
        client.close();
      }
    } finally {
      await serving.close();
      await registry.cleanup();
    }
  });
});

/** Every prediction-log segment under `logDir`. */
async function logFiles(logDir: string): Promise<string[]> {
  const entries = await fs.readdir(logDir, { recursive: true });
  return entries.filter((name) => name.endsWith('.parquet') && name.includes('predictions')).map((name) => path.join(logDir, name));
}
