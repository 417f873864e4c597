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

async function rig(options: ShadowOptions & { flushIntervalMs?: number }) {
  const artifact = trainOnnx(-1);
  const record = await registry.register('churn', 'run-1', artifact);
  const candidate = new LoadedVersion(record, await OnnxModel.load(artifact, FEATURES, { intraOpNumThreads: 1 }), artifact);
  const metrics = new ServingMetrics();
  const errors: string[] = [];
  const shadow = new ShadowScorer(metrics, {
    log: { location: { logDir }, workerId: 'test', flushIntervalMs: options.flushIntervalMs ?? 50 },
    onError: (message) => errors.push(message),
    ...options,
  });
  const batches = async () => {
    const { values } = await metrics.shadowBatchRows.get();
    const pick = (name: string) => values.find((v) => v.metricName === name)?.value ?? 0;
    return { count: pick('ratchet_serving_shadow_batch_rows_count'), rows: pick('ratchet_serving_shadow_batch_rows_sum') };
  };
  const outcomes = async () => Object.fromEntries((await metrics.shadow.get()).values.map((v) => [v.labels.outcome, v.value]));
  const logged = () => readPredictionRows({ logDir, model: 'churn', from: 0, to: Date.now() + 1000, roles: ['shadow'] });
  const logRows = async () => Object.fromEntries((await metrics.logRows.get()).values.map((v) => [v.labels.outcome, v.value]));
  return { candidate, shadow, batches, outcomes, logged, logRows, errors };
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

it('a thread that dies loses the rows it held and those it had not written, counted; close() says so; the next one starts after a pause', async () => {
  const { candidate, shadow, outcomes, logged, logRows, errors } = await rig({ batchWindowMs: 0, flushIntervalMs: 60_000 });
  shadow.submit('churn', candidate, [row(0)], ['scored-unwritten'], 0, true);
  await shadow.drain(); // scored and acknowledged, still in the thread's log buffer
  shadow.submit('churn', candidate, [row(1), row(2)], ['held-1', 'held-2'], 0, true);
  await turn();
  await (shadow as unknown as { thread: { terminate(): Promise<number> } }).thread.terminate();
  await shadow.drain();
  shadow.submit('churn', candidate, [row(3)], ['during-pause'], 0, true);
  await shadow.drain();
  assert.deepEqual(await outcomes(), { scored: 1, dropped: 3 });
  assert.deepEqual(await logRows(), { dropped: 1 });
  assert.match(errors.join('\n'), /shadow thread exited .*2 queued shadow row\(s\) dropped, 1 scored row\(s\) not written/);

  await new Promise((resolve) => setTimeout(resolve, 150)); // past the 100 ms pause after a first death
  shadow.submit('churn', candidate, [row(4)], ['after'], 0, true);
  await assert.rejects(shadow.close(), /1 scored shadow row\(s\) were lost with a shadow thread that ended before writing them/);
  assert.deepEqual((await logged()).requestId, ['after'], 'the new thread scored the next batch, and close() flushed it');
  await candidate.retire();
});

it('a thread that cannot open its log says why; rows are dropped while it pauses, and close() does not hang', async () => {
  const notADirectory = path.join(logDir, 'file');
  await fs.writeFile(notADirectory, '');
  const { candidate, errors } = await rig({ batchWindowMs: 0 });
  const metrics = new ServingMetrics();
  const shadow = new ShadowScorer(metrics, { batchWindowMs: 0, log: { location: { logDir: notADirectory } }, onError: (m) => errors.push(m) });
  shadow.submit('churn', candidate, [row(0)], ['a'], 0, true);
  await shadow.drain();
  shadow.submit('churn', candidate, [row(1)], ['b'], 0, true); // within the pause: dropped at once
  await shadow.drain();
  await shadow.close();
  assert.match(errors.join('\n'), /shadow thread could not start: prediction log directory .* is not writable/);
  const dropped = (await metrics.shadow.get()).values.filter((v) => v.labels.outcome === 'dropped').reduce((n, v) => n + v.value, 0);
  assert.equal(dropped, 2);
  await candidate.retire();
});

it('a worker id too long to name the thread\'s log files is refused when the scorer is built', () => {
  assert.throws(() => new ShadowScorer(new ServingMetrics(), { log: { location: { logDir }, workerId: 'w'.repeat(125) } }), /worker id "w+-shadow" is invalid/);
});

it('a thread idle for idleMs flushes its log and ends; the next shadow row starts a new one', async () => {
  const { candidate, shadow, logged } = await rig({ batchWindowMs: 0, idleMs: 50, flushIntervalMs: 60_000 });
  const threadOf = () => (shadow as unknown as { thread: unknown }).thread;
  shadow.submit('churn', candidate, [row(0)], ['before-idle'], 0, true);
  await shadow.drain();
  assert.ok(threadOf());
  for (let i = 0; i < 100 && threadOf(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(threadOf(), null, 'retired after being idle');
  for (let i = 0; i < 100 && (await logged()).rowCount === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual((await logged()).requestId, ['before-idle'], 'its log flushed as it retired');
  shadow.submit('churn', candidate, [row(1)], ['after-idle'], 0, true);
  await shadow.close();
  assert.deepEqual((await logged()).requestId.sort(), ['after-idle', 'before-idle']);
  await candidate.retire();
});

it('a thread idle for idleMs that cannot flush its log as it ends: its unwritten rows are counted dropped, and close() says so', async () => {
  const { candidate, shadow, logRows, errors } = await rig({ batchWindowMs: 0, idleMs: 50, flushIntervalMs: 60_000 });
  shadow.submit('churn', candidate, [row(0)], ['never-written'], 0, true);
  await shadow.drain(); // scored, still in the thread's log buffer
  await fs.writeFile(path.join(logDir, 'churn'), ''); // the model's log directory cannot be made now
  for (let i = 0; i < 200 && !errors.some((e) => e.startsWith('idle shadow thread')); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.match(errors.join('\n'), /idle shadow thread: .*; 1 scored row\(s\) not written/);
  assert.deepEqual(await logRows(), { dropped: 1 });
  await assert.rejects(shadow.close(), /1 scored shadow row\(s\) were lost with a shadow thread that ended before writing them/);
  await candidate.retire();
});

it('drain() waits for the rows queued when it was called, not for later traffic', async () => {
  const { candidate, shadow } = await rig({ batchWindowMs: 1 });
  shadow.submit('churn', candidate, [row(0)], ['first'], 0, true);
  const drained = shadow.drain();
  let more = true;
  void (async () => {
    for (let i = 1; more; i++) {
      shadow.submit('churn', candidate, [row(i)], [`later-${i}`], 0, true);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  const outcome = await Promise.race([drained.then(() => 'drained'), new Promise((resolve) => setTimeout(() => resolve('timed out'), 5_000))]);
  more = false;
  assert.equal(outcome, 'drained');
  await shadow.close();
  await candidate.retire();
});
