/**
 * Model names in the serving worker's URLs cannot reach the filesystem: encoded and raw "..",
 * slashes, backslashes, NUL, double encoding, overlong UTF-8, absurd lengths. Sent raw over HTTP
 * (no client-side normalisation) to a real worker whose registry is recorded on the way. What
 * must be kept:
 *   - every such request gets a 4xx JSON error, never a 5xx and never a model's answer;
 *   - the registry is only ever asked about models it holds: no hostile name reaches the store,
 *     so nothing outside the root is read.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { promoteToChampion } from '../../registry/lifecycle';
import type { RegistryStore } from '../../registry/store';
import { startServingWorker, type ServingWorker } from '../../workers/serving/main';
import { ROW, ctx, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

let registry: TestRegistry;
let worker: ServingWorker;
const modelArgs = new Set<string>();

before(async () => {
  registry = await testRegistry();
  await registry.register('churn', 'run-1', trainOnnx(1));
  await promoteToChampion(registry.store, 'churn', 1, ctx);
  // The real store, with every model name it is asked about written down.
  const recorded = new Proxy(registry.store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (typeof args[0] === 'string') modelArgs.add(args[0]);
        return value.apply(target, args);
      };
    },
  }) as RegistryStore;
  worker = await startServingWorker({ registryRoot: registry.root, store: recorded, port: 0, logger: false, predictionLog: 'off', pollIntervalMs: 50 });
});

after(async () => {
  await worker?.close();
  await registry?.cleanup();
});

function raw(method: string, path: string, body?: string): Promise<{ status: number; type: string; text: string }> {
  const { port } = new URL(worker.url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method, path, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type'] ?? ''), text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

const NAMES = [
  '..%2f..%2fetc',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..%5c..%5cwindows',
  '%00',
  'churn%00',
  'churn%2f..%2f..%2fx',
  '%252e%252e%252f',
  '..;',
  '%2fetc%2fpasswd',
  '%c0%ae%c0%ae',
  '%zz',
  '%',
  'churn%20',
  'CHURN',
  '%E2%80%AE',
  'a'.repeat(5000),
];
const RAW_PATHS = [
  '/v1/models/churn/../../etc/passwd',
  '/v1/models/../../../etc/passwd/predict',
  '/v1/models//etc/passwd/predict',
  '/v1/models/churn/predict/../../../x',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/v1/models/./churn/predict',
  '/v1/models/churn/./predict',
  '//v1/models/churn/predict',
];

test('hostile model names in URLs: 4xx JSON every time, and no hostile name reaches the registry', async () => {
  const paths = [...NAMES.flatMap((n) => [`/v1/models/${n}/predict`, `/v1/models/${n}/feedback`]), ...RAW_PATHS];
  const body = JSON.stringify({ features: ROW });
  const seen: string[] = [];
  for (const p of paths) {
    for (const method of ['POST', 'GET']) {
      const answer = await raw(method, p, method === 'POST' ? body : undefined);
      const where = `${method} ${p.slice(0, 80)} → ${answer.status} ${answer.text.slice(0, 200)}`;
      assert.ok(answer.status >= 400 && answer.status < 500, where);
      assert.match(answer.type, /^application\/json/, where);
      const parsed = JSON.parse(answer.text) as { error?: { code?: string; message?: string } };
      assert.equal(typeof parsed.error?.message, 'string', where);
      assert.ok(!('score' in parsed), where);
      seen.push(`${answer.status} ${parsed.error!.code}`);
    }
  }
  // The worker is fine, and the only model the store was ever asked about is the one it holds.
  const ok = await raw('POST', '/v1/models/churn/predict', body);
  assert.equal(ok.status, 200);
  assert.deepEqual([...modelArgs].sort(), ['churn'], `names that reached the store: ${[...modelArgs].join(', ')}`);
  const counts = seen.reduce<Record<string, number>>((acc, s) => ((acc[s] = (acc[s] ?? 0) + 1), acc), {});
  console.log(`serving traversal: ${seen.length} requests: ${JSON.stringify(counts)}`);
});
