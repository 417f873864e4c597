/**
 * The model pool's guarantees below HTTP: a retired session closes only after the work already
 * holding it finishes; polling follows the registry; close() releases every session.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promoteToChampion } from '../../registry/lifecycle';
import { OnnxModel } from '../../scoring/onnx-model';
import { LoadedVersion } from '../../workers/serving/loaded-version';
import { ServingMetrics } from '../../workers/serving/metrics';
import { ModelPool } from '../../workers/serving/model-pool';
import { FEATURES, ROW, ctx, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

let registry: TestRegistry;
let pool: ModelPool | null = null;

beforeEach(async () => {
  registry = await testRegistry();
});
afterEach(async () => {
  await pool?.close();
  pool = null;
  await registry.cleanup();
});

it('a retired version finishes the scoring already started before its session closes', async () => {
  const record = await registry.register('churn', 'run-1', trainOnnx(1));
  const loaded = new LoadedVersion(record, await OnnxModel.load(trainOnnx(1), FEATURES, { intraOpNumThreads: 1 }), trainOnnx(1));
  // onnxruntime runs a session on a later turn of the event loop: closing it in between fails
  // the run ("Session already disposed"), which is exactly what a naive swap would do.
  const inFlight = loaded.score([ROW]);
  const closed = loaded.retire();
  const [score] = await inFlight;
  assert.ok(score > 0 && score < 1);
  await closed;
  assert.throws(() => loaded.acquire(), /after its session was retired/);
});

it('a retired version held by a queued job closes when the job releases it', async () => {
  const record = await registry.register('churn', 'run-1', trainOnnx(1));
  const loaded = new LoadedVersion(record, await OnnxModel.load(trainOnnx(1), FEATURES, { intraOpNumThreads: 1 }), trainOnnx(1));
  loaded.acquire();
  let closed = false;
  const closing = loaded.retire().then(() => (closed = true));
  await sleep(20);
  assert.equal(closed, false);
  assert.equal((await loaded.score([ROW])).length, 1); // the holder may still use it
  loaded.release();
  await closing;
  assert.equal(closed, true);
});

it('polls the registry: discovers models and applies routing changes without being asked', async () => {
  await registry.register('churn', 'run-1', trainOnnx(1));
  await registry.register('churn', 'run-2', trainOnnx(-1));
  await promoteToChampion(registry.store, 'churn', 1, ctx);
  pool = new ModelPool({ store: registry.store, metrics: new ServingMetrics(), pollIntervalMs: 30 });
  await pool.start();
  assert.deepEqual(pool.models(), ['churn']);
  assert.equal(pool.view('churn')?.champion?.version, 1);
  assert.equal(pool.ready(), true);

  await promoteToChampion(registry.store, 'churn', 2, ctx);
  await registry.register('fraud', 'run-1', trainOnnx(1));
  await promoteToChampion(registry.store, 'fraud', 1, ctx);
  const deadline = Date.now() + 3000;
  while (pool.view('churn')?.champion?.version !== 2 || pool.view('fraud')?.champion?.version !== 1) {
    assert.ok(Date.now() < deadline, 'polling did not apply the changes');
    await sleep(20);
  }
  assert.deepEqual(pool.models(), ['churn', 'fraud']);
  const status = pool.statusOf('churn')!;
  assert.deepEqual(status.loaded, { champion: 2, previous: 1, candidate: null });
  assert.equal(status.appliedRevision, status.routing?.revision);
});

it('close() releases every session and stops answering ready', async () => {
  await registry.register('churn', 'run-1', trainOnnx(1));
  await promoteToChampion(registry.store, 'churn', 1, ctx);
  pool = new ModelPool({ store: registry.store, metrics: new ServingMetrics(), models: ['churn'] });
  await pool.start();
  const champion = pool.view('churn')!.champion!;
  await pool.close();
  assert.equal(pool.ready(), false);
  assert.throws(() => champion.acquire(), /retired/);
  await assert.rejects(champion.score([ROW]), /retired/);
});

it('refuses a configured model name that could escape the registry directory', () => {
  assert.throws(() => new ModelPool({ store: registry.store, metrics: new ServingMetrics(), models: ['../etc'] }), /invalid/);
});
