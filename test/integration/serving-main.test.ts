/**
 * The serving worker as a process: started from the command line, serving, announcing itself in
 * the serving directory, logging where RATCHET_HOME says, and stopping cleanly on SIGTERM while a
 * request is in flight.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import { readPredictionRows } from '../../data/prediction-log';
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
  const logged = optionsFromArgs(
    ['--registry', 'postgres://u:p@h/db', '--log', '/var/log/ratchet', '--log-flush-ms', '200', '--public-url', 'http://10.0.0.5:8080', '--worker-id', 'w1', '--batching', 'on', '--batch-wait-us', '150'],
    {},
  );
  assert.deepEqual(logged, {
    registryRoot: 'postgres://u:p@h/db',
    host: '127.0.0.1',
    port: 8080,
    predictionLog: { logDir: '/var/log/ratchet' },
    logFlushIntervalMs: 200,
    publicUrl: 'http://10.0.0.5:8080',
    workerId: 'w1',
    batching: { maxWaitUs: 150 },
  });
  assert.deepEqual(optionsFromArgs(['--registry', '/r', '--log', 'postgres://u:p@h/db'], { RATCHET_PREDICTION_LOG_SCHEMA: 'logs' }).predictionLog, { url: 'postgres://u:p@h/db', schema: 'logs' });
  assert.equal(optionsFromArgs(['--registry', '/r', '--log', 'off', '--batching', 'off'], {}).predictionLog, 'off');
  assert.equal(optionsFromArgs(['--registry', '/r', '--batching', 'off'], {}).batching, false);
  assert.throws(() => optionsFromArgs(['--registry', '/r', '--batching', 'maybe'], {}), /--batching maybe: use on or off/);
  assert.throws(() => optionsFromArgs(['--registry', '/r', '--log-flush-ms', '0'], {}), /--log-flush-ms 0/);
  assert.throws(() => optionsFromArgs([], {}), /--registry <dir> or set RATCHET_REGISTRY/);
  assert.throws(() => optionsFromArgs(['--registry', '/r', '--port', 'http'], {}), /--port http/);
  assert.throws(() => optionsFromArgs(['--registry', '/r', '--api-key', 'x'], {}), /api-key/);
});

it('startServingWorker listens, serves and closes', async () => {
  const worker = await startServingWorker({ registryRoot: registry.root, host: '127.0.0.1', port: 0, logger: false, predictionLog: 'off' });
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

it('announces itself in the serving directory when it has a public URL, now and then every interval', async () => {
  const worker = await startServingWorker(
    { registryRoot: registry.root, port: 0, logger: false, predictionLog: 'off', publicUrl: 'http://10.1.2.3:8080', models: ['churn'], announceIntervalMs: 50 },
    {},
  );
  let first: string;
  try {
    assert.equal(worker.workerId, '10.1.2.3_8080');
    const listed = await registry.store.listServingWorkers({ seenWithinMs: 60_000 });
    assert.deepEqual(listed.map((w) => [w.id, w.url, w.models]), [['10.1.2.3_8080', 'http://10.1.2.3:8080', ['churn']]]);
    first = listed[0].at;
    let latest = first;
    for (let i = 0; i < 40 && latest === first; i++) {
      await sleep(25);
      latest = (await registry.store.listServingWorkers({ seenWithinMs: 60_000 }))[0].at;
    }
    assert.ok(latest > first, 'the worker announced itself again');
  } finally {
    await worker.close();
  }
  // Stopped: no further announcements, and nothing removed (it ages out by seenWithinMs).
  const atStop = (await registry.store.listServingWorkers({ seenWithinMs: 60_000 }))[0].at;
  await sleep(150);
  assert.equal((await registry.store.listServingWorkers({ seenWithinMs: 60_000 }))[0].at, atStop);
});

it('takes its public URL and id from RATCHET_SERVING_URL / RATCHET_SERVING_ID, and logs under RATCHET_HOME by default', async () => {
  const home = await mkdtemp(path.join(os.tmpdir(), 'ratchet-home-'));
  try {
    const worker = await startServingWorker(
      { registryRoot: registry.root, port: 0, logger: false },
      { RATCHET_HOME: home, RATCHET_SERVING_URL: 'http://serving-7.internal:9000', RATCHET_SERVING_ID: 'serving-7' },
    );
    try {
      assert.equal(worker.workerId, 'serving-7');
      const listed = await registry.store.listServingWorkers({ seenWithinMs: 60_000 });
      const me = listed.find((w) => w.id === 'serving-7');
      assert.deepEqual(me && [me.url, me.models], ['http://serving-7.internal:9000', []], 'a worker serving every model announces []');
      const response = await fetch(`${worker.url}/v1/models/churn/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: ROW }) });
      assert.equal(response.status, 200);
    } finally {
      await worker.close();
    }
    const logDir = path.join(home, 'logs', 'predictions');
    const rows = await readPredictionRows({ logDir, model: 'churn', from: Date.now() - 60_000, to: Date.now() + 1000 });
    assert.equal(rows.rowCount, 1, 'the one prediction was flushed on close');
    const files = (await readdir(logDir, { recursive: true })).map(String).filter((f) => f.endsWith('.parquet'));
    assert.match(path.basename(files[0]), /^\d{2}-000001-serving-7-[0-9a-f]{6}\.parquet$/);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

it('runs as a process and drains on SIGTERM, exiting 0', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/serving/main.ts', '--registry', registry.root, '--port', '0', '--log', 'off'], {
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
