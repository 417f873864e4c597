/**
 * The shadow scorer below HTTP, with its real thread and log: rows arriving within its window go
 * to the thread as one batch, a full batch goes at once, close() scores what waits and flushes the
 * thread's log, a row vouched for is not validated again, and a thread that dies loses only the
 * rows it held (counted) while the next batch starts a new one.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, it } from 'node:test';
import { readPredictionRows } from '../../data/prediction-log';
import { OnnxModel } from '../../scoring/onnx-model';
import { LoadedVersion } from '../../workers/serving/loaded-version';
import { ServingMetrics } from '../../workers/serving/metrics';
import { ShadowScorer, type ShadowOptions } from '../../workers/serving/shadow';
import { FEATURES, ROW, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

let registry: TestRegistry;
let logDir: string;
beforeEach(async () => {
  registry = await testRegistry();
  logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-shadow-'));
});
afterEach(async () => {
  await registry.cleanup();
  await fs.rm(logDir, { recursive: true, force: true });
});

async function rig(options: ShadowOptions) {
  const artifact = trainOnnx(-1);
  const record = await registry.register('churn', 'run-1', artifact);
  const candidate = new LoadedVersion(record, await OnnxModel.load(artifact, FEATURES, { intraOpNumThreads: 1 }), artifact);
  const metrics = new ServingMetrics();
  const shadow = new ShadowScorer(metrics, { log: { location: { logDir }, workerId: 'test', flushIntervalMs: 50 }, ...options });
  const batches = async () => {
    const { values } = await metrics.shadowBatchRows.get();
    const pick = (name: string) => values.find((v) => v.metricName === name)?.value ?? 0;
    return { count: pick('ratchet_serving_shadow_batch_rows_count'), rows: pick('ratchet_serving_shadow_batch_rows_sum') };
  };
  const outcomes = async () => Object.fromEntries((await metrics.shadow.get()).values.map((v) => [v.labels.outcome, v.value]));
  const logged = () => readPredictionRows({ logDir, model: 'churn', from: 0, to: Date.now() + 1000, roles: ['shadow'] });
  return { candidate, shadow, batches, outcomes, logged };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const row = (i: number, features: unknown = { ...ROW }) => ({ entityId: `e${i}`, features, path: 'body' });

it('rows submitted over several turns within the window go to the thread as one batch; close() flushes its log', async () => {
  const { candidate, shadow, batches, outcomes, logged } = await rig({ batchWindowMs: 50 });
  for (let i = 0; i < 10; i++) {
    shadow.submit('churn', candidate, [row(i)], [`r${i}`], 1_000 + i, true);
    await turn();
  }
  await shadow.close();
  assert.deepEqual(await batches(), { count: 1, rows: 10 });
  assert.deepEqual(await outcomes(), { scored: 10 });
  const segments = (await fs.readdir(logDir, { recursive: true })).filter((f) => f.endsWith('.parquet'));
  assert.ok(segments.length > 0 && segments.every((f) => /-test-shadow-[0-9a-f]{6}\.parquet$/.test(f)), segments.join(', '));
  const log = await logged();
  assert.deepEqual(
    log.requestId.map((id, i) => [id, log.role[i], log.status[i], log.version[i], log.at[i]]).sort(),
    Array.from({ length: 10 }, (_, i) => [`r${i}`, 'shadow', 'ok', 1, 1_000 + i]).sort(),
  );
  const expected = (await (await OnnxModel.load(trainOnnx(-1), FEATURES)).scoreRows([ROW]))[0]!;
  assert.ok(log.score.every((s) => Math.abs(s - expected) < 1e-6));
  await candidate.retire();
});

it('a full batch goes at once; a lone row waits for its window, and drain() sends it', async () => {
  const { candidate, shadow, batches } = await rig({ batchWindowMs: 60_000, batchRows: 4 });
  shadow.submit('churn', candidate, [row(0), row(1), row(2), row(3)], ['a', 'b', 'c', 'd'], 0, true);
  for (let i = 0; i < 5; i++) await turn();
  assert.deepEqual(await batches(), { count: 1, rows: 4 }, 'sent without waiting for the (one-minute) window');
  shadow.submit('churn', candidate, [row(4)], ['e'], 0, true);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(await batches(), { count: 1, rows: 4 }, 'a lone row waits for its window');
  await shadow.drain();
  assert.deepEqual(await batches(), { count: 2, rows: 5 });
  await shadow.close();
  await candidate.retire();
});

it('validates rows for the candidate unless the caller vouches for them', async () => {
  const { candidate, shadow, outcomes, logged } = await rig({ batchWindowMs: 0 });
  shadow.submit('churn', candidate, [row(0, { age: 'old' })], ['checked'], 0);
  shadow.submit('churn', candidate, [row(1, { ...ROW, age: 'old' })], ['vouched'], 0, true);
  await shadow.close();
  const log = await logged();
  const errorOf = (id: string) => log.error[log.requestId.indexOf(id)];
  assert.match(errorOf('checked')!, /^not valid for the candidate: body\.age/);
  // Not validated: refused only when converted for the model, with the conversion's message.
  assert.match(errorOf('vouched')!, /^not valid for the candidate: feature "age" .*expected a number/);
  assert.deepEqual(await outcomes(), { invalid: 2 });
  await candidate.retire();
});

it('a thread that dies loses only the rows it held, counted as dropped; the next batch starts a new thread', async () => {
  const { candidate, shadow, outcomes, logged } = await rig({ batchWindowMs: 0 });
  shadow.submit('churn', candidate, [row(0)], ['before'], 0, true);
  await shadow.drain();
  // Kill the thread while it holds a batch.
  shadow.submit('churn', candidate, [row(1), row(2)], ['lost-1', 'lost-2'], 0, true);
  await turn();
  await (shadow as unknown as { thread: { terminate(): Promise<number> } }).thread.terminate();
  await shadow.drain();
  shadow.submit('churn', candidate, [row(3)], ['after'], 0, true);
  await shadow.close();
  const counts = await outcomes();
  assert.equal(counts.dropped, 2);
  assert.ok(counts.scored >= 2);
  const ids = new Set((await logged()).requestId);
  assert.ok(ids.has('after'), 'the new thread scored and logged the next batch');
  await candidate.retire();
});
