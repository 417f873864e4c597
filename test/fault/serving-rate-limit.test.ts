/**
 * The serving worker's per-client rate limit (workers/serving/rate-limit.ts): a token bucket per
 * client — the valid API key it presents, else its IP address — configured by option or
 * RATCHET_RATE_LIMIT. What must be kept:
 *   - a client over its budget gets 429 with Retry-After and a JSON error naming the limit, and is
 *     served again once Retry-After has passed;
 *   - other clients are not affected (another key; another address), and a forged
 *     X-Forwarded-For buys no fresh budget;
 *   - health, readiness and metrics are never limited;
 *   - the limiter's memory is bounded whatever the number of addresses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promoteToChampion } from '../../registry/lifecycle';
import { buildServingApp, type ServingApp } from '../../workers/serving/app';
import { startServingWorker, type ServingWorker } from '../../workers/serving/main';
import { parseRateLimit, RateLimiter } from '../../workers/serving/rate-limit';
import { ROW, ctx, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

let registry: TestRegistry;

before(async () => {
  registry = await testRegistry();
  await registry.register('churn', 'run-1', trainOnnx(1));
  await promoteToChampion(registry.store, 'churn', 1, ctx);
});
after(() => registry.cleanup());

test('RATCHET_RATE_LIMIT: per second or minute, optional burst; a bad value is refused with the format', () => {
  assert.deepEqual(parseRateLimit('50/s'), { perSecond: 50 });
  assert.deepEqual(parseRateLimit('3000/m'), { perSecond: 50 });
  assert.deepEqual(parseRateLimit(' 5 / s : 20 '), { perSecond: 5, burst: 20 });
  for (const bad of ['fast', '0/s', '10/h', '', '-1/s', '5/s:', '5/s:x']) {
    assert.throws(() => parseRateLimit(bad), /RATCHET_RATE_LIMIT=.*use requests per second or minute with an optional burst, e\.g\. "50\/s"/, bad);
  }
  assert.throws(() => new RateLimiter({ perSecond: 5, burst: 0.5 }), /burst must be at least 1/);
});

describe('over HTTP, configured from the environment', () => {
  let worker: ServingWorker;

  before(async () => {
    worker = await startServingWorker(
      { registryRoot: registry.root, store: registry.store, port: 0, logger: false, predictionLog: 'off', apiKeys: ['alpha-key', 'beta-key'] },
      { RATCHET_RATE_LIMIT: '4/s:4' },
    );
  });
  after(() => worker?.close());

  const predict = (key?: string) =>
    fetch(`${worker.url}/v1/models/churn/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ features: ROW }),
    });

  test('a key over its budget gets 429 with Retry-After; other keys and the health routes are not limited; it is served again after Retry-After', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await predict('alpha-key')).status, 200, `request ${i + 1} of the burst`);
    const limited = await predict('alpha-key');
    assert.equal(limited.status, 429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After: ${limited.headers.get('retry-after')}`);
    assert.match(limited.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await limited.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'rate_limited');
    assert.match(body.error.message, /this API key sent more than 4 requests per second \(burst 4\): retry after \d+ s/);

    assert.equal((await predict('beta-key')).status, 200, 'another key has its own budget');
    for (let i = 0; i < 20; i++) {
      for (const route of ['/healthz', '/readyz', '/metrics']) assert.equal((await fetch(`${worker.url}${route}`)).status, 200, route);
    }
    // Without a valid key the client is its address: 401 while it has budget, then 429.
    const anonymous: number[] = [];
    for (let i = 0; i < 6; i++) anonymous.push((await predict()).status);
    assert.deepEqual(anonymous, [401, 401, 401, 401, 429, 429]);
    const forged: number[] = [];
    for (let i = 0; i < 3; i++) forged.push((await predict('not-a-key')).status);
    assert.deepEqual(forged, [429, 429, 429], 'an invalid key counts against the address, not a bucket of its own');

    await sleep(retryAfter * 1000 + 50);
    assert.equal((await predict('alpha-key')).status, 200, 'served again after Retry-After');
    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    assert.match(metrics, /ratchet_serving_requests_total\{[^}]*status="429"[^}]*\} [1-9]/, 'refusals are counted');
  });
});

describe('per address, in the app', () => {
  let serving: ServingApp;

  before(async () => {
    serving = await buildServingApp({ store: registry.store, rateLimit: { perSecond: 1, burst: 3 } });
  });
  after(() => serving?.close());

  const predictFrom = (remoteAddress: string, headers: Record<string, string> = {}) =>
    serving.app.inject({ method: 'POST', url: '/v1/models/churn/predict', remoteAddress, headers: { 'content-type': 'application/json', ...headers }, payload: { features: ROW } });

  test('each address has its own bucket; X-Forwarded-For buys nothing', async () => {
    const first: number[] = [];
    for (let i = 0; i < 5; i++) first.push((await predictFrom('10.0.0.1')).statusCode);
    assert.deepEqual(first, [200, 200, 200, 429, 429]);
    const limited = await predictFrom('10.0.0.1');
    assert.match(limited.json().error.message, /client 10\.0\.0\.1 sent more than 1 requests per second \(burst 3\)/);
    assert.equal(limited.headers['retry-after'], '1');
    assert.equal((await predictFrom('10.0.0.1', { 'x-forwarded-for': '192.0.2.77' })).statusCode, 429, 'a forged header is ignored');
    assert.equal((await predictFrom('10.0.0.2')).statusCode, 200, 'another address is served');
    // Unknown models and bad bodies spend budget too: a flood of them is limited like any other.
    const unknown = await serving.app.inject({ method: 'POST', url: '/v1/models/nope/predict', remoteAddress: '10.0.0.1', headers: { 'content-type': 'application/json' }, payload: {} });
    assert.equal(unknown.statusCode, 429);
  });

  test('memory stays bounded: 20,000 addresses leave at most maxClients buckets', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 10, maxClients: 1000 }, () => now);
    for (let i = 0; i < 20_000; i++) {
      limiter.take(`ip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      now += 0.01;
    }
    assert.ok(limiter.clients <= 1000, `${limiter.clients} buckets kept`);
    // A client that just spent its burst is still remembered (the most recent are kept).
    for (let i = 0; i < 10; i++) limiter.take('ip:busy');
    assert.ok(limiter.take('ip:busy') >= 1, 'the busy client is still limited');
  });
});
