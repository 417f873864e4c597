/**
 * Single-row predict latency over HTTP: keep-alive, sequential, after warm-up. The figures are
 * printed as test diagnostics; the assertion is a loose ceiling that only a real regression
 * (e.g. a per-request log line to a slow sink, a sync file read, a recompiled validator) breaks.
 * The client runs in this process, so the figures include its own share of the work.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { promoteToChampion } from '../../registry/lifecycle';
import { OnnxModel } from '../../scoring/onnx-model';
import { buildServingApp, type ServingApp } from '../../workers/serving/app';
import { FEATURES, ROW, ctx, jsonClient, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

const WARMUP = 300;
const MEASURED = 2000;

let registry: TestRegistry;
let serving: ServingApp;
let port: number;

before(async () => {
  registry = await testRegistry();
  await registry.register('churn', 'run-1', trainOnnx(1));
  await promoteToChampion(registry.store, 'churn', 1, ctx);
  serving = await buildServingApp({ store: registry.store });
  await serving.app.listen({ host: '127.0.0.1', port: 0 });
  port = (serving.app.server.address() as AddressInfo).port;
});
after(async () => {
  await serving.close();
  await registry.cleanup();
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

it(`single-row predict over keep-alive HTTP: p50 and p99 of ${MEASURED} sequential requests`, async (t) => {
  const client = jsonClient(port, 1);
  const once = async () => {
    const started = process.hrtime.bigint();
    const { status, body } = await client.post('/v1/models/churn/predict', { entity_id: 'latency', features: ROW });
    if (status !== 200) throw new Error(`${status}: ${JSON.stringify(body)}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };

  for (let i = 0; i < WARMUP; i++) await once();
  const times: number[] = [];
  const wall = performance.now();
  for (let i = 0; i < MEASURED; i++) times.push(await once());
  const seconds = (performance.now() - wall) / 1000;
  client.close();
  times.sort((a, b) => a - b);

  // The model alone, for comparison: the rest is JSON, validation, routing and HTTP.
  const model = await OnnxModel.load(trainOnnx(1), FEATURES, { intraOpNumThreads: 1 });
  const modelTimes: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const started = process.hrtime.bigint();
    await model.scoreRows([ROW]);
    modelTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  await model.close();
  modelTimes.sort((a, b) => a - b);

  const summary =
    `HTTP single-row predict: p50 ${percentile(times, 50).toFixed(3)} ms, p99 ${percentile(times, 99).toFixed(3)} ms, ` +
    `max ${times[times.length - 1].toFixed(3)} ms, ${Math.round(MEASURED / seconds)} req/s sequential; ` +
    `OnnxModel.scoreRows alone: p50 ${percentile(modelTimes, 50).toFixed(3)} ms, p99 ${percentile(modelTimes, 99).toFixed(3)} ms`;
  t.diagnostic(summary);
  console.log(summary);
  assert.ok(percentile(times, 50) < 20, summary);
});
