/**
 * Staged promotion on the Java time-skipping server: days of stages pass in seconds while a real
 * serving worker takes real traffic and logs it, and the real analysis activity reads the log.
 * A good candidate walks every stage to champion; a candidate with shifted scores is rolled back
 * at its first canary; operators pause, resume and abort; a second promotion is refused.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { quietTemporalRuntime } from '../../cli/stack';
import { ratchetPaths, type RatchetPaths } from '../../core/paths';
import { promoteToChampion } from '../../registry/lifecycle';
import { freePort } from '../../workers/dev-server';
import { startServingWorker, type ServingWorker } from '../../workers/serving/main';
import { ensureTool, TEMPORAL_TEST_SERVER } from '../../workers/temporal-tools';
import {
  abortUpdate,
  pauseUpdate,
  promotionStatusQuery,
  promotionWorkflowId,
  resumeUpdate,
  type PromotionStatus,
} from '../../workflows/definitions';
import type { promotion } from '../../workflows/promotion';
import { recordHistory } from '../helpers/histories';
import { openTestStore, TEST_STORE_KIND, type TestStore } from '../helpers/test-store';
import { FEATURES, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';
import { startTestWorker, uniqueTaskQueue } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let reg: TestRegistry;
let paths: RatchetPaths;
let store: TestStore;
let serving: ServingWorker;
let taskQueue: string;
let stopWorker: () => Promise<void>;

const HOUR = 3_600_000;

function configYaml(model: string, stages: string): string {
  return `model: ${model}
source: { kind: files, path: unused.parquet }
time_column: at
id_column: id
label: y
features: { numeric: [age, income], categorical: [plan] }
trainer: { kind: builtin-logistic }
approval: { approvers: [alice], admins: [alice] }
promotion:
  stages:
${stages}
  analysis_interval: 6h
  watch: 24h
  operators: [oncall]
  criteria: { max_positive_rate_shift: 0.1, max_score_psi: 0.25, max_p99_latency_ratio: 50, min_labels: 1000000 }
`;
}

const FULL_STAGES = `    - { name: shadow, mode: shadow, percent: 100, min_duration: 24h, min_samples: 200 }
    - { name: canary-20, mode: canary, percent: 20, min_duration: 48h, min_samples: 200 }
    - { name: canary-50, mode: canary, percent: 50, min_duration: 48h, min_samples: 200 }`;

/** Registers v1 (champion) and v2 (the candidate under test) for a fresh model. */
async function setUpModel(model: string, candidate: Uint8Array, stages: string): Promise<string> {
  const register = async (bytes: Uint8Array, runId: string) =>
    (
      await store.registerVersion(
        { model, runId, trainer: { kind: 'test', params: {} }, features: FEATURES, threshold: 0.5, snapshot: null, metrics: {}, gates: [], reportPath: null, tags: {}, status: 'approved' },
        bytes,
        { actor: 'test', reason: 'setup' },
      )
    ).version;
  const v1 = await register(trainOnnx(1, 7), `${model}-run-1`);
  await register(candidate, `${model}-run-2`);
  await promoteToChampion(store, model, v1, { actor: 'test', reason: 'setup' });
  const file = path.join(paths.home, `${model}.yaml`);
  await writeFile(file, configYaml(model, stages));
  // The serving worker discovers new models by polling the registry: wait until it serves this one.
  for (let i = 0; i < 200; i++) {
    const ready = (await (await fetch(`${serving.url}/readyz`)).json()) as { models: { model: string; loaded: { champion: number | null } }[] };
    if (ready.models.find((m) => m.model === model)?.loaded.champion === v1) return file;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the serving worker did not load ${model} v${v1}`);
}

let seq = 0;
/** Real requests to the real serving worker; varied rows so score distributions are meaningful. */
async function traffic(model: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    seq++;
    const features = { age: 20 + ((seq * 37) % 60), income: 15_000 + ((seq * 7919) % 90_000), plan: ['free', 'pro', 'team'][seq % 3] };
    const response = await fetch(`${serving.url}/v1/models/${model}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entity_id: `e-${seq}`, features }),
    });
    assert.equal(response.status, 200, await response.text());
  }
}

/** Traffic, then one analysis interval of simulated time, until the promotion ends. */
async function drive(handle: WorkflowHandle<typeof promotion>, model: string, perTick: number, maxTicks = 60): Promise<PromotionStatus> {
  for (let tick = 0; tick < maxTicks; tick++) {
    const before = await handle.query(promotionStatusQuery);
    if (before.outcome) return before;
    await traffic(model, perTick);
    await new Promise((r) => setTimeout(r, 250)); // one flush window of the prediction log
    await env.sleep(6 * HOUR);
    // The analysis activity runs in real time after the timer: wait until it has been recorded.
    for (let i = 0; i < 100; i++) {
      const now = await handle.query(promotionStatusQuery);
      if (now.outcome || now.analyses > before.analyses || now.phase === 'paused') break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return handle.query(promotionStatusQuery);
}

async function start(model: string, configPath: string): Promise<WorkflowHandle<typeof promotion>> {
  return env.client.workflow.start<typeof promotion>('promotion', {
    workflowId: promotionWorkflowId(model),
    taskQueue,
    workflowIdConflictPolicy: 'FAIL',
    args: [{ model, version: 2, actor: 'alice', reason: 'test promotion', configPath }],
  });
}

describe(`staged promotion (time-skipping, ${TEST_STORE_KIND} registry)`, () => {
  before(async () => {
    quietTemporalRuntime();
    const server = ensureTool(TEMPORAL_TEST_SERVER);
    [env, reg] = await Promise.all([TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: server } } }), testRegistry()]);
    paths = ratchetPaths(path.join(reg.root, 'home'));
    store = await openTestStore(paths.registry);
    const port = await freePort();
    serving = await startServingWorker({
      registryRoot: paths.registry,
      store,
      port,
      pollIntervalMs: 50,
      logger: false,
      predictionLog: { logDir: path.join(paths.logs, 'predictions') },
      logFlushIntervalMs: 100,
      publicUrl: `http://127.0.0.1:${port}`,
      workerId: 'serving-test',
      batching: false,
    });
    taskQueue = uniqueTaskQueue('promotion-it');
    ({ stop: stopWorker } = await startTestWorker(env.nativeConnection, taskQueue, { paths, store }));
  });

  after(async () => {
    await stopWorker?.();
    await serving?.close();
    await store?.close();
    await env?.teardown();
    await reg?.cleanup();
  });

  test('a good candidate walks shadow → canaries → champion → watch over simulated days', async () => {
    const config = await setUpModel('good', trainOnnx(1, 8), FULL_STAGES);
    const handle = await start('good', config);
    const seen = new Set<string>();
    let status = await handle.query(promotionStatusQuery);
    for (let i = 0; i < 80 && !status.outcome; i++) {
      status = await drive(handle, 'good', 150, 1);
      if (status.stage) seen.add(status.stage.name);
    }
    assert.equal(status.outcome, 'promoted', JSON.stringify(status.events, null, 1));
    assert.deepEqual([...seen].filter((s) => s !== 'watch'), ['shadow', 'canary-20', 'canary-50']);
    const routing = await store.getRouting('good');
    assert.equal(routing.champion, 2);
    assert.equal(routing.previous, 1);
    assert.equal(routing.candidate, null);
    // Criteria were fixed and recorded before each stage started.
    const audit = await store.readAudit('good');
    assert.ok(audit.filter((a) => a.action === 'routing' && /rollback criteria/.test(a.reason)).length >= 3);
    await recordHistory(handle, 'promotion-staged', env.address);
  });

  test('a candidate with shifted scores is rolled back automatically at its first canary', async () => {
    const config = await setUpModel('bad', trainOnnx(-1, 7), `    - { name: canary-5, mode: canary, percent: 5, min_duration: 48h, min_samples: 5 }
    - { name: canary-25, mode: canary, percent: 25, min_duration: 48h, min_samples: 5 }`);
    const handle = await start('bad', config);
    const status = await drive(handle, 'bad', 200);
    assert.equal(status.outcome, 'rolled_back', JSON.stringify(status.events, null, 1));
    assert.match(status.reason ?? '', /stage canary-5 failed/);
    assert.match(status.reason ?? '', /positive_rate_shift|score_psi/);
    const routing = await store.getRouting('bad');
    assert.equal(routing.champion, 1, 'the champion keeps serving');
    assert.equal(routing.candidate, null, 'the candidate gets no traffic any more');
    assert.equal((await store.getVersion('bad', 2)).status, 'rejected');
    const incident = (await store.readAudit('bad')).find((a) => a.action === 'incident');
    assert.ok(incident, 'the automatic rollback is recorded as an incident');
    assert.equal((incident!.details as { kind: string }).kind, 'automatic');
    // The serving worker confirmed it serves the champion only.
    const confirmed = (incident!.details as { workersConfirmed: { id: string }[] }).workersConfirmed;
    assert.deepEqual(confirmed.map((w) => w.id), ['serving-test']);
    const result = await handle.result();
    assert.equal(result.outcome, 'rolled_back');
  });

  test('operators pause, resume and abort; outsiders are refused; a second promotion is refused', async () => {
    const config = await setUpModel('ops', trainOnnx(1, 9), FULL_STAGES);
    const handle = await start('ops', config);
    await assert.rejects(start('ops', config), WorkflowExecutionAlreadyStartedError);

    for (let i = 0; i < 200 && (await handle.query(promotionStatusQuery)).phase === 'starting'; i++) await new Promise((r) => setTimeout(r, 100));
    const refused = await handle.executeUpdate(pauseUpdate, { args: [{ user: 'mallory' }] }).catch((e: unknown) => e);
    assert.ok(refused instanceof WorkflowUpdateFailedError);
    assert.match((refused.cause as Error).message, /mallory may not pause promotions of ops; operators: oncall, alice/);

    const paused = await handle.executeUpdate(pauseUpdate, { args: [{ user: 'oncall', reason: 'investigating' }] });
    assert.equal(paused.phase, 'paused');
    const stageBefore = paused.stage?.name;
    await env.sleep(5 * 24 * HOUR); // days pass while paused: the stage does not advance
    let status = await handle.query(promotionStatusQuery);
    assert.equal(status.phase, 'paused');
    assert.equal(status.stage?.name, stageBefore);

    status = await handle.executeUpdate(resumeUpdate, { args: [{ user: 'oncall' }] });
    assert.equal(status.phase, 'stage');
    status = await handle.executeUpdate(abortUpdate, { args: [{ user: 'oncall', reason: 'business freeze' }] });
    const result = await handle.result();
    assert.equal(result.outcome, 'aborted');
    assert.match(result.reason, /business freeze/);
    const routing = await store.getRouting('ops');
    assert.equal(routing.champion, 1);
    assert.equal(routing.candidate, null);
    await recordHistory(handle, 'promotion-aborted', env.address);
  });
});
