/**
 * The serving worker as a process: started from the command line, serving, and stopping cleanly
 * on SIGTERM while a request is in flight.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import { promoteToChampion } from '../../registry/lifecycle';
import { optionsFromArgs, startServingWorker } from '../../workers/serving/main';
import { ROW, ctx, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let registry: TestRegistry;

before(async () => {
  registry = await testRegistry();
  await registry.register('churn', 'run-1', trainOnnx(1));
  await promoteToChampion(registry.store, 'churn', 1, ctx);
});
after(() => registry.cleanup());

it('reads options from arguments and environment, keys only from the environment', () => {
  const options = optionsFromArgs(['--registry', '/r', '--port', '0', '--models', 'a, b', '--poll-ms', '250'], {
    RATCHET_API_KEYS: 'k1,k2',
    HOST: '0.0.0.0',
  });
  assert.deepEqual(options, { registryRoot: '/r', host: '0.0.0.0', port: 0, models: ['a', 'b'], pollIntervalMs: 250, apiKeys: ['k1', 'k2'] });
  assert.throws(() => optionsFromArgs([], {}), /--registry <dir> or set RATCHET_REGISTRY/);
  assert.throws(() => optionsFromArgs(['--registry', '/r', '--port', 'http'], {}), /--port http/);
  assert.throws(() => optionsFromArgs(['--registry', '/r', '--api-key', 'x'], {}), /api-key/);
});

it('startServingWorker listens, serves and closes', async () => {
  const worker = await startServingWorker({ registryRoot: registry.root, host: '127.0.0.1', port: 0, logger: false });
  try {
    assert.match(worker.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${worker.url}/v1/models/churn/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: ROW }),
    });
    assert.equal(response.status, 200);
  } finally {
    await worker.close();
  }
  await assert.rejects(fetch(`${worker.url}/healthz`));
});

it('runs as a process and drains on SIGTERM, exiting 0', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/serving/main.ts', '--registry', registry.root, '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /serving worker at (\S+)/.exec(stderr);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code} before listening: ${stderr}`)));
  });

  const body = JSON.stringify({ instances: Array.from({ length: 1000 }, (_, i) => ({ entity_id: `e${i}`, features: ROW })) });
  const first = await fetch(`${url}/v1/models/churn/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(first.status, 200);

  // A request the worker has started to receive when SIGTERM arrives must still be answered:
  // send half the body, signal, then the rest.
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = http.request(`${url}/v1/models/churn/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.write(body.slice(0, body.length >> 1));
    setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => request.end(body.slice(body.length >> 1)), 200);
    }, 200);
  });
  const response = await answered;
  assert.equal(response.status, 200, response.text);
  assert.equal(JSON.parse(response.text).predictions.length, 1000);
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /SIGTERM: draining/);
});
