/**
 * The serving worker over real HTTP: a real Fastify server on 127.0.0.1, real onnxruntime
 * sessions, a real filesystem registry in a temp dir, models trained and exported by the
 * built-in trainer.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promoteToChampion } from '../../registry/lifecycle';
import { OnnxModel } from '../../scoring/onnx-model';
import { buildServingApp, type ServingApp } from '../../workers/serving/app';
import { FEATURES, ROW, ctx, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

interface Reply {
  status: number;
  body: any;
}

async function listen(serving: ServingApp): Promise<string> {
  await serving.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(serving.app.server.address() as AddressInfo).port}`;
}

function client(base: string) {
  return async (path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const init: RequestInit =
      body === undefined
        ? { method: 'GET', headers }
        : {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: typeof body === 'string' ? body : JSON.stringify(body),
          };
    const response = await fetch(`${base}${path}`, init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // metrics are text
    }
    return { status: response.status, body: parsed };
  };
}

let registry: TestRegistry;
let serving: ServingApp;
let call: ReturnType<typeof client>;
let expectedScore: number;
const artifact = trainOnnx(1);

before(async () => {
  registry = await testRegistry();
  await registry.register('churn', 'run-1', artifact);
  await promoteToChampion(registry.store, 'churn', 1, ctx);
  // Same artifact, another model with a strict threshold: label follows the version's threshold.
  await registry.register('strict', 'run-1', artifact, { threshold: 0.999 });
  await promoteToChampion(registry.store, 'strict', 1, ctx);
  // Registered, never promoted.
  await registry.register('fresh', 'run-1', artifact);

  serving = await buildServingApp({ store: registry.store, pollIntervalMs: 100 });
  call = client(await listen(serving));

  const direct = await OnnxModel.load(artifact, FEATURES);
  expectedScore = (await direct.scoreRows([ROW]))[0];
  await direct.close();
});

after(async () => {
  await serving.close();
  await registry.cleanup();
});

describe('predict', () => {
  it('scores one row with the champion: version, role, score and label', async () => {
    const r = await call('/v1/models/churn/predict', { entity_id: 'c-1', features: ROW });
    assert.equal(r.status, 200);
    assert.match(r.body.request_id, /^[0-9a-f-]{36}$/);
    assert.deepEqual({ ...r.body, request_id: 'x' }, { request_id: 'x', model: 'churn', version: 1, role: 'champion', score: expectedScore, label: true });
    assert.ok(expectedScore > 0.5 && expectedScore < 0.999);
  });

  it('labels with the served version threshold', async () => {
    const r = await call('/v1/models/strict/predict', { features: ROW });
    assert.equal(r.status, 200);
    assert.equal(r.body.score, expectedScore);
    assert.equal(r.body.label, false);
  });

  it('scores a batch in order, accepting null as a missing value', async () => {
    const rows = [ROW, { age: 21, income: 30_000, plan: 'basic' }, { age: null, income: null, plan: null }];
    const direct = await OnnxModel.load(artifact, FEATURES);
    const expected = Array.from(await direct.scoreRows(rows));
    await direct.close();
    const r = await call('/v1/models/churn/predict', { instances: rows.map((features, i) => ({ entity_id: `e${i}`, features })) });
    assert.equal(r.status, 200);
    assert.equal(r.body.model, 'churn');
    assert.deepEqual(
      r.body.predictions,
      expected.map((score) => ({ version: 1, role: 'champion', score, label: score >= 0.5 })),
    );
    assert.ok(expected[0] > 0.5 && expected[1] < 0.5, 'the rows must score differently for the order check to mean anything');
  });

  it('accepts exactly 1,000 instances and refuses 1,001', async () => {
    const instances = Array.from({ length: 1000 }, (_, i) => ({ entity_id: String(i), features: { ...ROW, age: 20 + (i % 50) } }));
    const ok = await call('/v1/models/churn/predict', { instances });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.predictions.length, 1000);
    const tooMany = await call('/v1/models/churn/predict', { instances: [...instances, instances[0]] });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.error.field, 'instances');
    assert.match(tooMany.body.error.message, /1001 rows.*1000 allowed.*split/);
  });
});

describe('bad input is a 4xx naming the field and the fix', () => {
  const cases: { name: string; body: unknown; field?: string; code: string; message: RegExp; status?: number }[] = [
    { name: 'missing feature', body: { features: { age: 52, plan: 'pro' } }, field: 'features.income', code: 'missing_feature', message: /features\.income is missing.*use null/ },
    { name: 'numeric as a string', body: { features: { ...ROW, age: '52' } }, field: 'features.age', code: 'invalid_feature', message: /finite number or null; got the string "52"/ },
    { name: 'NaN given as a string', body: { features: { ...ROW, income: 'NaN' } }, field: 'features.income', code: 'invalid_feature', message: /finite number or null; got the string "NaN"/ },
    { name: 'boolean for a numeric', body: { features: { ...ROW, age: true } }, field: 'features.age', code: 'invalid_feature', message: /finite number/ },
    { name: 'number for a categorical', body: { features: { ...ROW, plan: 3 } }, field: 'features.plan', code: 'invalid_feature', message: /categorical.*string or null/ },
    { name: 'extra feature', body: { features: { ...ROW, colour: 'red' } }, field: 'features.colour', code: 'unknown_field', message: /not a feature of this model: send only age, income, plan/ },
    { name: 'extra top-level field', body: { features: ROW, debug: true }, field: 'debug', code: 'unknown_field', message: /unknown field "debug"/ },
    { name: 'bad row in a batch', body: { instances: [{ features: ROW }, { features: { ...ROW, age: 'old' } }] }, field: 'instances[1].features.age', code: 'invalid_feature', message: /instances\[1\]\.features\.age/ },
    { name: 'features not an object', body: { features: [52, 41000, 'pro'] }, field: 'features', code: 'invalid_body', message: /must be an object/ },
    { name: 'both features and instances', body: { features: ROW, instances: [] }, field: 'instances', code: 'invalid_body', message: /not both/ },
    { name: 'neither features nor instances', body: { rows: [] }, field: 'features', code: 'invalid_body', message: /neither/ },
    { name: 'empty instances', body: { instances: [] }, field: 'instances', code: 'invalid_body', message: /non-empty array/ },
    { name: 'numeric entity_id', body: { entity_id: 42, features: ROW }, field: 'entity_id', code: 'invalid_body', message: /as a string/ },
    { name: 'a JSON array body', body: [ROW], code: 'invalid_body', message: /must be a JSON object/ },
    { name: 'bad JSON', body: '{"features": {"age": 5', code: 'invalid_json', message: /not valid JSON/ },
    { name: 'a NaN literal', body: '{"features": {"age": NaN, "income": 1, "plan": "pro"}}', code: 'invalid_json', message: /not valid JSON/ },
    { name: 'prototype poisoning', body: '{"__proto__": {"x": 1}, "features": {}}', code: 'invalid_json', message: /not valid JSON/ },
    { name: 'empty body', body: '', code: 'invalid_json', message: /empty/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await call('/v1/models/churn/predict', c.body);
      assert.equal(r.status, c.status ?? 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, c.code);
      assert.equal(r.body.error.field, c.field);
      assert.match(r.body.error.message, c.message);
    });
  }

  it('refuses a non-JSON content type with 415', async () => {
    const base = `http://127.0.0.1:${(serving.app.server.address() as AddressInfo).port}`;
    const response = await fetch(`${base}/v1/models/churn/predict`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'age=5' });
    assert.equal(response.status, 415);
    assert.match(((await response.json()) as any).error.message, /Content-Type: application\/json/);
  });

  it('never answers 5xx to any shape of JSON', async () => {
    const values: unknown[] = [null, 0, -1.5, '', 'x', true, [], [null], {}, { a: null }, [[]], { nested: { deep: [1, { x: 'y' }] } }];
    const bodies: unknown[] = [...values, ...values.map((v) => ({ features: v })), ...values.map((v) => ({ instances: v })), ...values.map((v) => ({ instances: [v] })), ...values.map((v) => ({ instances: [{ features: v }] })), ...values.map((v) => ({ features: { ...ROW, age: v } })), ...values.map((v) => ({ features: ROW, entity_id: v }))];
    for (const body of bodies) {
      const r = await call('/v1/models/churn/predict', JSON.stringify(body));
      assert.ok(r.status < 500, `${JSON.stringify(body)} → ${r.status}`);
      if (r.status !== 200) assert.equal(typeof r.body.error.message, 'string');
    }
  });
});

describe('models and routes', () => {
  it('404s an unknown model, naming the served ones', async () => {
    const r = await call('/v1/models/nope/predict', { features: ROW });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'model_not_found');
    assert.match(r.body.error.message, /"nope".*churn, fresh, strict/);
  });

  it('503s a model without a champion, saying so', async () => {
    const r = await call('/v1/models/fresh/predict', { features: ROW });
    assert.equal(r.status, 503);
    assert.equal(r.body.error.code, 'no_champion');
    assert.match(r.body.error.message, /no champion yet: promote a version/);
  });

  it('404s unknown routes as JSON', async () => {
    const r = await call('/v2/whatever');
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'route_not_found');
  });

  it('reports health, readiness per model and Prometheus metrics', async () => {
    assert.deepEqual((await call('/healthz')).body, { status: 'ok' });
    const ready = await call('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.ready, true);
    const churn = ready.body.models.find((m: any) => m.model === 'churn');
    assert.deepEqual(churn.loaded, { champion: 1, previous: null, candidate: null });
    assert.equal(churn.routing.revision, 1);
    assert.equal(churn.appliedRevision, 1);
    assert.equal(churn.lastError, null);
    const fresh = ready.body.models.find((m: any) => m.model === 'fresh');
    assert.equal(fresh.ready, true); // nothing to serve yet is not "broken"

    const metrics = (await call('/metrics')).body as string;
    const okCount = Number(/ratchet_serving_requests_total\{model="churn",version="1",role="champion",status="200"\} (\d+)/.exec(metrics)?.[1]);
    assert.ok(okCount >= 3, metrics.slice(0, 500));
    assert.match(metrics, /ratchet_serving_requests_total\{model="churn",version="",role="",status="400"\} \d+/);
    assert.match(metrics, /ratchet_serving_requests_total\{model="_unknown",version="",role="",status="404"\} \d+/);
    assert.match(metrics, /ratchet_serving_routing_revision\{model="churn"\} 1/);
    assert.match(metrics, /ratchet_serving_loaded_version\{model="churn",role="champion"\} 1/);
    assert.match(metrics, /ratchet_serving_request_duration_seconds_bucket\{le="0.005",model="churn",kind="single"\} \d+/);
  });
});

describe('API keys', () => {
  let keyed: ServingApp;
  let keyedCall: ReturnType<typeof client>;
  const logLines: string[] = [];

  before(async () => {
    const { pino } = await import('pino');
    const logger = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
    keyed = await buildServingApp({ store: registry.store, models: ['churn'], apiKeys: ['s3cret-key', 'other-key'], logger: logger as never });
    keyedCall = client(await listen(keyed));
  });
  after(() => keyed.close());

  it('requires a key for predict, by Bearer or X-API-Key, and leaves health open', async () => {
    const none = await keyedCall('/v1/models/churn/predict', { features: ROW });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'unauthorized');
    assert.match(none.body.error.message, /Authorization: Bearer <key>/);
    assert.equal((await keyedCall('/v1/models/churn/predict', { features: ROW }, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await keyedCall('/v1/models/churn/predict', { features: ROW }, { authorization: 'Bearer s3cret-key' })).status, 200);
    assert.equal((await keyedCall('/v1/models/churn/predict', { features: ROW }, { 'x-api-key': 'other-key' })).status, 200);
    assert.equal((await keyedCall('/healthz')).status, 200);
    assert.equal((await keyedCall('/readyz')).status, 200);
    assert.ok(!logLines.join('\n').includes('s3cret-key'));
  });

  it('serves only the configured models', async () => {
    const r = await keyedCall('/v1/models/strict/predict', { features: ROW }, { 'x-api-key': 'other-key' });
    assert.equal(r.status, 404);
  });
});
