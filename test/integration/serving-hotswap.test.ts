/**
 * Hot swaps through the registry: routing changes under continuous load must not fail a request, and a
 * version whose artifact is damaged must be refused while the old one keeps serving.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { clearCandidate, promoteToChampion, rollbackTo, startCandidate } from '../../registry/lifecycle';
import { buildServingApp, type ServingApp } from '../../workers/serving/app';
import { ROW, ctx, jsonClient, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

let registry: TestRegistry;
let serving: ServingApp;
let base: string;
let client: ReturnType<typeof jsonClient>;

async function start(options: { retryFailedLoadMs?: number } = {}): Promise<void> {
  serving = await buildServingApp({ store: registry.store, pollIntervalMs: 50, ...options });
  await serving.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (serving.app.server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  client = jsonClient(port);
}

function predict(entity: string): Promise<{ status: number; body: any }> {
  return client.post('/v1/models/churn/predict', { entity_id: entity, features: ROW });
}

async function readyz(): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: await response.json() };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

beforeEach(async () => {
  registry = await testRegistry();
});
afterEach(async () => {
  client?.close();
  await serving?.close();
  await registry.cleanup();
});

it('swaps under load from 20 clients (canary start, canary clear, promotion) without a single failed request', async (t) => {
  for (const [i, artifact] of [trainOnnx(1), trainOnnx(-1), trainOnnx(1, 99)].entries()) {
    await registry.register('churn', `run-${i + 1}`, artifact);
  }
  await promoteToChampion(registry.store, 'churn', 1, ctx);
  await start();

  const failures: string[] = [];
  const seenByClient: number[][] = [];
  let stop = false;
  const clients = Array.from({ length: 20 }, async (_, c) => {
    const seen: number[] = [];
    seenByClient[c] = seen;
    for (let n = 0; !stop; n++) {
      try {
        const r = await predict(`client-${c}-${n}`);
        if (r.status !== 200) failures.push(`${r.status} ${JSON.stringify(r.body)}`);
        else seen.push(r.body.version);
      } catch (error) {
        failures.push(String(error));
      }
    }
  });

  await sleep(400);
  await startCandidate(registry.store, 'churn', 2, { mode: 'canary', percent: 50 }, ctx);
  await sleep(500);
  // Clearing the canary retires version 2 while it serves half the requests in flight.
  await clearCandidate(registry.store, 'churn', ctx);
  await sleep(400);
  await promoteToChampion(registry.store, 'churn', 3, ctx);
  await sleep(600);
  stop = true;
  await Promise.all(clients);

  const all = seenByClient.flat();
  t.diagnostic(`${all.length} requests from 20 clients across three routing changes, ${failures.length} failed`);
  assert.deepEqual(failures.slice(0, 5), []);
  assert.ok(all.length > 500, `only ${all.length} requests in 2 s`);
  for (const v of [1, 2, 3]) assert.ok(all.includes(v), `no response from version ${v}`);
  for (const seen of seenByClient) {
    // Each client is sequential: once it has met the new champion, it never meets an older version.
    const first3 = seen.indexOf(3);
    assert.ok(first3 >= 0, 'a client never reached version 3');
    assert.ok(seen.slice(first3).every((v) => v === 3), 'a client went back from version 3');
  }
  const status = (await readyz()).body.models[0];
  assert.deepEqual(status.loaded, { champion: 3, previous: 1, candidate: null });
});

it('refuses a damaged artifact, keeps serving the old champion, reports it, and recovers when repaired', async () => {
  await registry.register('churn', 'run-1', trainOnnx(1));
  const good = trainOnnx(-1);
  const v2 = await registry.register('churn', 'run-2', good);
  await promoteToChampion(registry.store, 'churn', 1, ctx);
  await start({ retryFailedLoadMs: 200 });

  const file = path.join(registry.root, 'artifacts', 'sha256', `${v2.artifact.sha256}.onnx`);
  const damaged = Buffer.from(good);
  damaged[damaged.length >> 1] ^= 0xff;
  await fs.writeFile(file, damaged);

  await promoteToChampion(registry.store, 'churn', 2, ctx);
  await until('the refused load to show in /readyz', async () => (await readyz()).body.models[0].lastError !== null);

  const ready = await readyz();
  assert.equal(ready.status, 200, 'the worker still serves its champion');
  const model = ready.body.models[0];
  assert.equal(model.routing.champion, 2);
  assert.deepEqual(model.loaded, { champion: 1, previous: 1, candidate: null });
  assert.equal(model.stale, true);
  assert.equal(model.lastError.version, 2);
  assert.match(model.lastError.message, /integrity check/);

  for (let i = 0; i < 20; i++) {
    const r = await predict(`e${i}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.version, 1);
  }
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /ratchet_serving_model_load_failures_total\{model="churn",version="2"\} [1-9]/);

  // Restoring the artifact: the next retry loads it and the routing is finally honoured.
  await fs.writeFile(file, good);
  await until('version 2 to serve', async () => (await predict('after')).body.version === 2);
  const healed = (await readyz()).body.models[0];
  assert.deepEqual(healed.loaded, { champion: 2, previous: 1, candidate: null });
  assert.equal(healed.stale, false);
  assert.equal(healed.lastError, null);
});

it('refuses bytes that are not a loadable model, and a rollback is served at once', async () => {
  await registry.register('churn', 'run-1', trainOnnx(1));
  await registry.register('churn', 'run-2', trainOnnx(-1));
  await registry.register('churn', 'run-3', new TextEncoder().encode('this is not an ONNX model'));
  await promoteToChampion(registry.store, 'churn', 1, ctx);
  await promoteToChampion(registry.store, 'churn', 2, ctx);
  await start();
  assert.deepEqual((await readyz()).body.models[0].loaded, { champion: 2, previous: 1, candidate: null });

  await promoteToChampion(registry.store, 'churn', 3, ctx);
  await until('the refused load', async () => (await readyz()).body.models[0].lastError?.version === 3);
  assert.equal((await predict('x')).body.version, 2);
  assert.match((await readyz()).body.models[0].lastError.message, /ONNX|load|protobuf/i);

  // The incident: roll back to version 1 (still the loaded previous of the routing before).
  await rollbackTo(registry.store, 'churn', 1, { actor: 'oncall', reason: 'bad artifact' });
  await until('version 1 to serve', async () => (await predict('y')).body.version === 1);
});

it('answers 503 naming the error when the very first champion cannot load', async () => {
  const v1 = await registry.register('churn', 'run-1', trainOnnx(1));
  await promoteToChampion(registry.store, 'churn', 1, ctx);
  await fs.truncate(path.join(registry.root, 'artifacts', 'sha256', `${v1.artifact.sha256}.onnx`), 10);
  await start();
  const ready = await readyz();
  assert.equal(ready.status, 503);
  assert.equal(ready.body.models[0].ready, false);
  const r = await predict('e');
  assert.equal(r.status, 503);
  assert.equal(r.body.error.code, 'no_champion');
  assert.match(r.body.error.message, /champion version 1 .* not loaded: .*integrity check/);
});
