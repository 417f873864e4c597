/**
 * A stored artifact is damaged on disk (one byte flipped, or the file cut short) under the
 * registry's artifacts/sha256/ folder, and its version is then made champion. What must be kept:
 *   - the serving worker refuses the damaged version and keeps serving the one it had; /readyz
 *     names the refused version and the reason, /metrics counts the refusal; once the artifact is
 *     restored and the version promoted again, it is served;
 *   - a retraining run evaluated against a damaged champion fails with an error naming the
 *     artifact (model, version, file and both hashes), and registers nothing.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FsRegistryStore } from '../../registry/fs-store';
import { promoteToChampion, rollbackTo } from '../../registry/lifecycle';
import { startServingWorker, type ServingWorker } from '../../workers/serving/main';
import { approveUpdate, statusQuery, type RunStatus } from '../../workflows/definitions';
import type { retrain } from '../../workflows/retrain';
import { SMALL_DEMO, type DemoWorkspace } from '../helpers/fixtures';
import { ROW, ctx, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';
import type { TemporalTestServer } from '../helpers/temporal';
import { pipelineRig, type PipelineRig } from '../helpers/pipeline-rig';

function artifactFile(root: string, sha256: string): string {
  return path.join(root, 'artifacts', 'sha256', `${sha256}.onnx`);
}

async function flipByte(file: string, at: number): Promise<Buffer> {
  const original = await fs.readFile(file);
  const damaged = Buffer.from(original);
  damaged[at] ^= 0xff;
  await fs.writeFile(file, damaged);
  return original;
}

describe('a damaged artifact in the serving worker', () => {
  let registry: TestRegistry;
  let worker: ServingWorker;

  before(async () => {
    registry = await testRegistry();
    await registry.register('churn', 'run-1', trainOnnx(1));
    await registry.register('churn', 'run-2', trainOnnx(-1));
    await registry.register('churn', 'run-3', trainOnnx(-1, 11));
    await promoteToChampion(registry.store, 'churn', 1, ctx);
    worker = await startServingWorker({ registryRoot: registry.root, store: registry.store, port: 0, logger: false, predictionLog: 'off', pollIntervalMs: 100 });
  });

  after(async () => {
    await worker?.close();
    await registry?.cleanup();
  });

  async function readyModel(): Promise<{ status: number; model: any }> {
    const response = await fetch(`${worker.url}/readyz`);
    const body = (await response.json()) as { models: { model: string }[] };
    return { status: response.status, model: body.models.find((m) => m.model === 'churn') };
  }

  async function waitForRevision(revision: number): Promise<any> {
    for (let i = 0; i < 100; i++) {
      const { model } = await readyModel();
      if (model.routing?.revision === revision && model.appliedRevision === revision) return model;
      await sleep(50);
    }
    assert.fail(`the worker did not apply routing revision ${revision}`);
  }

  async function rollBack(version: number): Promise<void> {
    const routing = await rollbackTo(registry.store, 'churn', version, ctx);
    assert.equal((await waitForRevision(routing.revision)).loaded.champion, version);
  }

  async function servedVersion(): Promise<number> {
    const response = await fetch(`${worker.url}/v1/models/churn/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: ROW }) });
    assert.equal(response.status, 200);
    return ((await response.json()) as { version: number }).version;
  }

  async function failures(version: number): Promise<number> {
    const text = await (await fetch(`${worker.url}/metrics`)).text();
    const match = new RegExp(`^ratchet_serving_model_load_failures_total\\{model="churn",version="${version}"\\} (\\d+)$`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  }

  test('a flipped byte: refused, the old champion serves on, /readyz and /metrics say why', async () => {
    assert.equal(await servedVersion(), 1);
    const v2 = await registry.store.getVersion('churn', 2);
    const file = artifactFile(registry.root, v2.artifact.sha256);
    const original = await flipByte(file, 100);

    const routing = await promoteToChampion(registry.store, 'churn', 2, ctx);
    const model = await waitForRevision(routing.revision);
    assert.equal(model.routing.champion, 2, 'the registry says v2');
    assert.equal(model.loaded.champion, 1, 'the worker kept v1');
    assert.equal(model.stale, true);
    assert.equal(model.ready, true, 'still ready: it serves a champion');
    assert.equal(model.lastError.version, 2);
    assert.match(model.lastError.message, /artifact of model "churn" version 2 at .* fails its integrity check/);
    assert.ok(model.lastError.message.includes(file), 'the message names the file');
    assert.ok(model.lastError.message.includes(v2.artifact.sha256), 'and the expected hash');
    assert.ok((await failures(2)) >= 1, '/metrics counts the refusal');
    for (let i = 0; i < 20; i++) assert.equal(await servedVersion(), 1, 'requests are still served, by v1');

    // The operator's way out: roll back, restore the file, promote again (each a new routing revision).
    await rollBack(1);
    await fs.writeFile(file, original);
    const repromoted = await promoteToChampion(registry.store, 'churn', 2, ctx);
    const healed = await waitForRevision(repromoted.revision);
    assert.equal(healed.loaded.champion, 2);
    assert.equal(healed.lastError, null);
    assert.equal(await servedVersion(), 2);
  });

  test('a truncated file: refused the same way, naming both sizes', async () => {
    const before = await readyModel();
    const servingNow = before.model.loaded.champion;
    const v3 = await registry.store.getVersion('churn', 3);
    const file = artifactFile(registry.root, v3.artifact.sha256);
    const original = await fs.readFile(file);
    await fs.writeFile(file, original.subarray(0, Math.floor(original.length / 2)));

    const routing = await promoteToChampion(registry.store, 'churn', 3, ctx);
    const model = await waitForRevision(routing.revision);
    assert.equal(model.loaded.champion, servingNow, 'the worker kept what it served');
    assert.equal(model.lastError.version, 3);
    assert.match(model.lastError.message, new RegExp(`expected ${original.length} bytes with sha256 ${v3.artifact.sha256}, found ${Math.floor(original.length / 2)} bytes`));
    assert.ok((await failures(3)) >= 1);
    assert.equal(await servedVersion(), servingNow);
  });
});

describe('a damaged champion in a retraining run', () => {
  const WEEK_MS = 7 * 86_400_000;
  const weekStart = (w: number) => new Date(new Date(`${SMALL_DEMO.start}T00:00:00Z`).getTime() + w * WEEK_MS).toISOString();
  const CONFIG = `
approval: { approvers: [alice], expiry: 7d }
gates:
  min_performance: { metric: auc, min: 0.6 }
promotion: { stages: [], watch: 0s }
`;
  let server: TemporalTestServer;
  let ws: DemoWorkspace;
  let store: FsRegistryStore;
  let taskQueue: string;
  let rig: PipelineRig;

  before(async () => {
    rig = await pipelineRig('fault-corrupt');
    ({ server, ws, store, taskQueue } = rig);
  });

  after(() => rig?.close());

  function start(id: string, configPath: string, week: number) {
    return server.client.workflow.start<typeof retrain>('retrain', {
      workflowId: `${id}-${taskQueue}`,
      taskQueue,
      args: [{ model: 'credit', configPath, initiator: 'carol', asOf: weekStart(week) }],
    });
  }

  test('the evaluation fails with an error naming the artifact; nothing is registered', async () => {
    const configPath = await ws.writeConfig('corrupt', CONFIG);
    const first = await start('champion', configPath, 6);
    let status: RunStatus | null = null;
    for (let i = 0; i < 600 && status?.stage !== 'awaiting_approval'; i++) {
      status = await first.query(statusQuery).catch(() => null);
      if (status?.stage === 'failed' || status?.stage === 'rejected') assert.fail(`first run ended ${status.stage}: ${status.error}`);
      await sleep(200);
    }
    await first.executeUpdate(approveUpdate, { args: [{ user: 'alice', artifactSha256: status!.candidate!.sha256 }] });
    assert.equal((await first.result()).stage, 'done');
    const champion = await store.getVersion('credit', (await store.getRouting('credit')).champion!);
    const file = artifactFile(ws.paths.registry, champion.artifact.sha256);
    await flipByte(file, 64);

    const started = Date.now();
    const second = await start('against-damaged', configPath, 9);
    const err = await second.result().then(
      () => assert.fail('the run should fail'),
      (e: Error) => e,
    );
    const failedAfterMs = Date.now() - started;
    let cause: Error = err;
    while (cause.cause instanceof Error) cause = cause.cause;
    assert.match(cause.message, new RegExp(`artifact of model "credit" version ${champion.version} at .* fails its integrity check`));
    assert.ok(cause.message.includes(file), `the error names the file: ${cause.message}`);
    assert.ok(cause.message.includes(champion.artifact.sha256), 'and the hash it should have');
    // Not retried: a damaged artifact does not heal by itself.
    const events = (await second.fetchHistory()).events ?? [];
    const evaluation = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'evaluateCandidate')!;
    const attempts = events.filter((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? '') === String(evaluation.eventId));
    assert.deepEqual(attempts.map((e) => e.activityTaskStartedEventAttributes!.attempt), [1], 'one attempt');
    const failed = await second.query(statusQuery);
    assert.equal(failed.stage, 'failed');
    assert.equal(failed.error, cause.message);
    assert.equal(await store.findVersionByRun('credit', second.workflowId), null, 'no version registered');
    assert.equal((await store.getRouting('credit')).champion, champion.version, 'the champion is unchanged');
    console.log(`damaged champion: the run failed ${failedAfterMs} ms after start: ${cause.message.split(':')[0]}`);
  });
});
