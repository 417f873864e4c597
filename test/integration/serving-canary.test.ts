/**
 * Canary and shadow serving over HTTP, plus the pure assignment rule they rest on.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { clearCandidate, promoteToChampion, startCandidate } from '../../registry/lifecycle';
import { bucketOf, fnv1a32, inCandidateShare } from '../../workers/serving/canary';
import { buildServingApp, type ServingApp } from '../../workers/serving/app';
import { ROW, ctx, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

describe('assignment rule (pure)', () => {
  it('is FNV-1a 32-bit over UTF-8', () => {
    // Reference values of the FNV-1a specification.
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
    // Over the UTF-8 bytes (c3 a9), as Python's or SQL's implementation over encoded text would be.
    assert.equal(fnv1a32('é'), 0x1e9de8c1);
  });

  it('puts close to p % of entities in the candidate share, growing monotonically with p', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `customer-${i}`);
    for (const p of [1, 5, 25, 50]) {
      const share = ids.filter((id) => inCandidateShare('churn', id, p)).length / ids.length;
      assert.ok(Math.abs(share - p / 100) < 0.01, `p=${p}: share ${share}`);
    }
    for (const id of ids.slice(0, 2000)) {
      if (inCandidateShare('churn', id, 5)) assert.ok(inCandidateShare('churn', id, 25), id);
    }
    assert.equal(ids.filter((id) => inCandidateShare('churn', id, 0)).length, 0);
    assert.equal(ids.filter((id) => inCandidateShare('churn', id, 100)).length, ids.length);
  });

  it('differs between models, so one model’s canary group is not every model’s', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `u${i}`);
    const same = ids.filter((id) => bucketOf('churn', id) === bucketOf('fraud', id)).length;
    assert.ok(same < 10, `${same} equal buckets`);
  });
});

describe('canary and shadow over HTTP', () => {
  let registry: TestRegistry;
  let serving: ServingApp;
  let base: string;

  const predictBatch = async (ids: string[]) => {
    const response = await fetch(`${base}/v1/models/churn/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: ids.map((entity_id) => ({ entity_id, features: ROW })) }),
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as any).predictions as { version: number; role: string; score: number }[];
  };
  const predictOne = async (body: object) => {
    const response = await fetch(`${base}/v1/models/churn/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200);
    return (await response.json()) as any;
  };
  const metric = async (pattern: RegExp) => Number(pattern.exec(await (await fetch(`${base}/metrics`)).text())?.[1] ?? 0);
  /** Routing changes reach the pool by polling; refresh() makes the test wait for exactly one sync. */
  const applied = () => serving.pool.refresh();

  before(async () => {
    registry = await testRegistry();
    await registry.register('churn', 'run-1', trainOnnx(1));
    await registry.register('churn', 'run-2', trainOnnx(-1));
    await promoteToChampion(registry.store, 'churn', 1, ctx);
    serving = await buildServingApp({ store: registry.store, pollIntervalMs: 60_000 });
    await serving.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(serving.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await serving.close();
    await registry.cleanup();
  });

  it('serves a stable ~p % of entities from the candidate in canary mode', async () => {
    await startCandidate(registry.store, 'churn', 2, { mode: 'canary', percent: 20 }, ctx);
    await applied();
    const ids = Array.from({ length: 1000 }, (_, i) => `entity-${i}`);
    const first = await predictBatch(ids);
    const second = await predictBatch(ids);
    assert.deepEqual(second, first, 'same entity, same version and score within a stage');
    for (const p of first) assert.equal(p.version, p.role === 'candidate' ? 2 : 1);
    const share = first.filter((p) => p.role === 'candidate').length / ids.length;
    assert.ok(Math.abs(share - 0.2) < 0.04, `candidate share ${share}`);
    first.forEach((p, i) => assert.equal(p.role === 'candidate', inCandidateShare('churn', ids[i], 20), ids[i]));

    // Single-row requests follow the same assignment as batches.
    for (const i of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const one = await predictOne({ entity_id: ids[i], features: ROW });
      assert.equal(one.role, first[i].role);
      assert.equal(one.version, first[i].version);
    }

    // The next stage keeps every candidate entity on the candidate.
    await startCandidate(registry.store, 'churn', 2, { mode: 'canary', percent: 50 }, ctx);
    await applied();
    const wider = await predictBatch(ids);
    first.forEach((p, i) => {
      if (p.role === 'candidate') assert.equal(wider[i].role, 'candidate', ids[i]);
    });
    assert.ok(Math.abs(wider.filter((p) => p.role === 'candidate').length / ids.length - 0.5) < 0.05);

    // Requests without entity_id are assigned by their request id: both roles appear.
    const roles = new Set<string>();
    for (let i = 0; i < 40; i++) roles.add((await predictOne({ features: ROW })).role);
    assert.deepEqual([...roles].sort(), ['candidate', 'champion']);
  });

  it('answers from the champion in shadow mode and scores the candidate off the response path', async () => {
    await clearCandidate(registry.store, 'churn', ctx);
    await startCandidate(registry.store, 'churn', 2, { mode: 'shadow', percent: 100 }, ctx);
    await applied();
    const scoredBefore = await metric(/ratchet_serving_shadow_rows_total\{model="churn",version="2",outcome="scored"\} (\d+)/);
    const ids = Array.from({ length: 30 }, (_, i) => `s-${i}`);
    for (const p of await predictBatch(ids)) assert.deepEqual([p.role, p.version], ['champion', 1]);
    for (const id of ids.slice(0, 10)) assert.equal((await predictOne({ entity_id: id, features: ROW })).role, 'champion');

    let scored = 0;
    for (let i = 0; i < 50 && scored - scoredBefore < 40; i++) {
      await sleep(20);
      scored = await metric(/ratchet_serving_shadow_rows_total\{model="churn",version="2",outcome="scored"\} (\d+)/);
    }
    assert.equal(scored - scoredBefore, 40);
    const ready = (await (await fetch(`${base}/readyz`)).json()) as any;
    assert.deepEqual(ready.models[0].loaded, { champion: 1, previous: null, candidate: 2 });
    assert.equal(ready.models[0].routing.mode, 'shadow');
  });

  it('goes back to champion-only when the candidate is cleared', async () => {
    await clearCandidate(registry.store, 'churn', ctx);
    await applied();
    const all = await predictBatch(Array.from({ length: 200 }, (_, i) => `c-${i}`));
    assert.ok(all.every((p) => p.role === 'champion' && p.version === 1));
    const ready = (await (await fetch(`${base}/readyz`)).json()) as any;
    assert.deepEqual(ready.models[0].loaded, { champion: 1, previous: null, candidate: null });
  });
});
