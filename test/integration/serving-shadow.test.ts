/**
 * The shadow scorer below HTTP: rows arriving within its window are scored in one onnxruntime
 * call, a full batch starts without waiting, drain() scores what is still waiting, and rows
 * already validated against identical features are not validated again.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import type { FeatureRow } from '../../core/types';
import type { PredictionRecord } from '../../data/prediction-log-format';
import { OnnxModel } from '../../scoring/onnx-model';
import { LoadedVersion } from '../../workers/serving/loaded-version';
import { ServingMetrics } from '../../workers/serving/metrics';
import type { PredictionSink } from '../../workers/serving/prediction-log';
import { ShadowScorer } from '../../workers/serving/shadow';
import { FEATURES, ROW, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

let registry: TestRegistry;
beforeEach(async () => (registry = await testRegistry()));
afterEach(async () => registry.cleanup());

/** A loaded candidate whose onnxruntime calls are counted (by row count), and a sink that keeps what is logged. */
async function rig() {
  const record = await registry.register('churn', 'run-1', trainOnnx(-1));
  const candidate = new LoadedVersion(record, await OnnxModel.load(trainOnnx(-1), FEATURES, { intraOpNumThreads: 1 }));
  const calls: number[] = [];
  const score = candidate.score.bind(candidate);
  candidate.score = (rows: FeatureRow[]) => {
    calls.push(rows.length);
    return score(rows);
  };
  const logged: PredictionRecord[] = [];
  const sink: PredictionSink = { append: (rows) => (logged.push(...rows), true), flush: async () => {}, close: async () => {} };
  return { candidate, calls, logged, sink };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const row = (i: number) => ({ entityId: `e${i}`, features: { ...ROW }, path: 'body' });

it('rows submitted over several turns within the window go to the model in one call, logged without features', async () => {
  const { candidate, calls, logged, sink } = await rig();
  const shadow = new ShadowScorer(new ServingMetrics(), { batchWindowMs: 50 }, sink);
  for (let i = 0; i < 10; i++) {
    shadow.submit('churn', candidate, [row(i)], [`r${i}`], 1000 + i);
    await turn();
  }
  await shadow.drain();
  assert.deepEqual(calls, [10]);
  assert.equal(logged.length, 10);
  assert.deepEqual(logged.map((r) => [r.request_id, r.role, r.status, r.features, r.at]), Array.from({ length: 10 }, (_, i) => [`r${i}`, 'shadow', 'ok', null, 1000 + i]));
  await candidate.retire();
});

it('a full batch starts at once; the window then restarts for later rows', async () => {
  const { candidate, calls, sink } = await rig();
  const shadow = new ShadowScorer(new ServingMetrics(), { batchWindowMs: 60_000, batchRows: 4 }, sink);
  shadow.submit('churn', candidate, [row(0), row(1), row(2), row(3)], ['a', 'b', 'c', 'd'], 0);
  for (let i = 0; i < 20 && calls.length === 0; i++) await turn();
  assert.deepEqual(calls, [4], 'scored without waiting for the (one-minute) window');
  await new Promise((resolve) => setTimeout(resolve, 20));
  shadow.submit('churn', candidate, [row(4)], ['e'], 0);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(calls, [4], 'a lone row waits for its window');
  await shadow.drain();
  assert.deepEqual(calls, [4, 1], 'drain scores what waits');
  await candidate.retire();
});

it('validates rows for the candidate unless they passed an identical validator', async () => {
  const { candidate, logged, sink } = await rig();
  const shadow = new ShadowScorer(new ServingMetrics(), { batchWindowMs: 0 }, sink);
  const bad = { entityId: 'x', features: { age: 'old' }, path: 'body' };
  shadow.submit('churn', candidate, [bad], ['unchecked'], 0);
  await shadow.drain();
  assert.equal(logged[0]!.status, 'error');
  assert.match(logged[0]!.error!, /not valid for the candidate/);
  // The flag is the caller's promise; a row it vouches for goes straight to the model.
  let validated = 0;
  const validate = candidate.validate;
  (candidate as { validate: typeof validate }).validate = (...args) => (validated++, validate(...args));
  shadow.submit('churn', candidate, [row(1)], ['vouched'], 0, true);
  await shadow.drain();
  assert.equal(validated, 0);
  assert.equal(logged[1]!.status, 'ok');
  await candidate.retire();
});
