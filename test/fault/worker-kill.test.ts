/**
 * The pipeline worker is SIGKILLed again and again while retraining runs are in flight, at seeded
 * random points, and restarted each time. What must be kept:
 *   - every run finishes: each reaches awaiting_approval and, once approved, done;
 *   - each run registered exactly one version (one per run id, one `register` audit line each);
 *   - no duplicated or half-written snapshot or artifact: no temp file left in the snapshot,
 *     split or artifact folders, every artifact's sha256 is its name, one snapshot file (with its
 *     manifest) per content hash, each still holding the rows its hash says.
 *
 * Each kill comes at a seeded random delay after the restarted worker made progress (it runs an
 * activity, or a run changed stage), never during an activity's last allowed attempt (a worker
 * crash costs an attempt, and the retry budget is the workflow's decision); at least
 * MIN_ACTIVITY_KILLS of them interrupt running activities. What was running at each kill is
 * printed. Runs start in waves until enough kills have landed; two more kills hit the approval
 * wait.
 *
 * A killed activity is retried once its heartbeat timeout passes. The model config's
 * `timeouts.heartbeat` sets it; this test sets 3 s to finish in about two minutes (the worker
 * heartbeats every activity automatically: workers/pipeline/auto-heartbeat.ts).
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import type { SnapshotManifest } from '../../core/types';
import { verifySnapshot } from '../../data/snapshot';
import { FsRegistryStore } from '../../registry/fs-store';
import { sha256Hex } from '../../registry/records';
import { approveUpdate, statusQuery, type RunStatus } from '../../workflows/definitions';
import type { retrain } from '../../workflows/retrain';
import { RATCHET_MODEL, RATCHET_RUN_KIND, RATCHET_STAGE } from '../../workflows/search-attributes';
import { seededRandom, spawnTsx, writeWorkflowBundle, type ChildHandle } from '../helpers/fault-process';
import { demoWorkspace, SMALL_DEMO, type DemoWorkspace } from '../helpers/fixtures';
import { connectTestServer, uniqueTaskQueue, type TemporalTestServer } from '../helpers/temporal';

const SEED = Number(process.env.RATCHET_FAULT_SEED ?? 20260105);
const RUNS = 4;
const MAX_WAVES = 3;
/** Kills that must land while the worker runs activities (the rest may hit workflow tasks or idle moments). */
const MIN_ACTIVITY_KILLS = 6;
const MIN_KILLS = 10;
const MAX_KILLS = 16;
const HEARTBEAT = '3s';

const WEEK_MS = 7 * 86_400_000;
const weekStart = (w: number) => new Date(new Date(`${SMALL_DEMO.start}T00:00:00Z`).getTime() + w * WEEK_MS).toISOString();

const CONFIG = `
approval: { approvers: [alice, bob], expiry: 7d }
gates:
  min_performance: { metric: auc, min: 0.6 }
promotion: { stages: [], watch: 0s }
timeouts: { heartbeat: ${HEARTBEAT} }
`;

/**
 * The workflow's retry budget per activity (workflows/retrain.ts): a worker crash costs an attempt,
 * so a run whose training is killed three times fails, by design. Kills avoid last attempts.
 */
const lastAttempt = (activityType: string) => (activityType === 'trainCandidate' ? 3 : 5);


let server: TemporalTestServer;
let ws: DemoWorkspace;
let bundlePath: string;
let taskQueue: string;
let worker: ChildHandle | null = null;

before(async () => {
  [server, ws] = await Promise.all([connectTestServer(), demoWorkspace()]);
  bundlePath = await writeWorkflowBundle(path.join(ws.dir, 'workflow-bundle.js'));
  taskQueue = uniqueTaskQueue('fault-kill');
});

after(async () => {
  await worker?.stop('SIGTERM');
  await server?.close();
  await ws?.cleanup();
});

async function startWorker(): Promise<ChildHandle> {
  return spawnTsx({
    script: 'test/helpers/fault-worker.ts',
    env: {
      RATCHET_TEST_TEMPORAL_ADDRESS: server.address,
      RATCHET_FAULT_TASK_QUEUE: taskQueue,
      RATCHET_HOME: ws.paths.home,
      RATCHET_FAULT_BUNDLE: bundlePath,
      // Like the 3 s heartbeat: the runs of a killed worker move on within seconds, not ten.
      RATCHET_FAULT_STICKY_TIMEOUT: '2s',
    },
    readyPattern: /fault-worker ready (\d+)/,
  });
}

interface Observed {
  historyLength: number;
  stage: string | undefined;
  /** "activityType#attempt@identity" for each activity a worker is running. */
  running: { type: string; attempt: number; identity: string }[];
  closed: boolean;
}

async function observe(handle: WorkflowHandle): Promise<Observed> {
  const d = await handle.describe();
  const running = (d.raw.pendingActivities ?? [])
    .filter((a) => String(a.state) === '2' || String(a.state) === 'PENDING_ACTIVITY_STATE_STARTED')
    .map((a) => ({ type: a.activityType?.name ?? '?', attempt: a.attempt ?? 0, identity: a.lastWorkerIdentity ?? '' }));
  return { historyLength: d.historyLength, stage: d.typedSearchAttributes.get(RATCHET_STAGE), running, closed: d.status.name !== 'RUNNING' };
}

test(`${MIN_KILLS}+ SIGKILLs of the pipeline worker: every run finishes, one version each, no torn snapshot or artifact`, async () => {
  const started = Date.now();
  const random = seededRandom(SEED);
  const configPath = await ws.writeConfig('kills', CONFIG);
  worker = await startWorker();

  // Runs start in waves of RUNS; when a wave reaches the approval wait before enough kills have
  // landed, another starts. Windows end at weeks 6-12 of the demo data, then repeat.
  const handles: WorkflowHandle<typeof retrain>[] = [];
  const weeks: number[] = [];
  const startWave = async () => {
    const wave = await Promise.all(
      Array.from({ length: RUNS }, (_, j) => {
        const i = handles.length + j;
        weeks[i] = 6 + (i % 7);
        return server.client.workflow.start<typeof retrain>('retrain', {
          workflowId: `kill-${i}-${taskQueue}`,
          taskQueue,
          args: [{ model: 'credit', configPath, initiator: 'carol', asOf: weekStart(weeks[i]) }],
          typedSearchAttributes: [
            { key: RATCHET_MODEL, value: 'credit' },
            { key: RATCHET_RUN_KIND, value: 'retrain' },
          ],
        });
      }),
    );
    handles.push(...wave);
  };
  await startWave();

  const kills: { delayMs: number; running: string[]; restartMs: number }[] = [];
  const deadline = Date.now() + 240_000;
  while (kills.length < MAX_KILLS) {
    const identity = `fault-worker-${worker.pid}`;
    let baseline = await Promise.all(handles.map(observe));
    if (baseline.every((o) => o.stage === 'awaiting_approval' || o.closed)) {
      if (handles.length >= MAX_WAVES * RUNS) break;
      await startWave();
      baseline = await Promise.all(handles.map(observe));
    }
    // Progress first: a kill before the new worker did anything tests nothing new.
    for (;;) {
      assert.ok(Date.now() < deadline, `no progress after kill ${kills.length}; worker output:\n${worker.output().slice(-2000)}`);
      const now = await Promise.all(handles.map(observe));
      // The new worker runs an activity, or completed a workflow task that moved a run on.
      const active = now.some((o, i) => o.stage !== baseline[i].stage || o.running.some((a) => a.identity === identity));
      if (active || now.every((o) => o.stage === 'awaiting_approval' || o.closed)) break;
      await sleep(100);
    }
    let delayMs = Math.round(random() * 1500);
    await sleep(delayMs);
    let atKill = await Promise.all(handles.map(observe));
    // A kill during an activity's last attempt would fail its run by design (the retry budget):
    // wait for that attempt to finish, then pick another moment.
    while (atKill.some((o) => o.running.some((a) => a.identity === identity && a.attempt >= lastAttempt(a.type)))) {
      assert.ok(Date.now() < deadline, 'an activity stayed on its last attempt');
      const more = Math.round(random() * 500);
      await sleep(more);
      delayMs += more;
      atKill = await Promise.all(handles.map(observe));
    }
    if (atKill.every((o) => o.stage === 'awaiting_approval' || o.closed)) continue; // a new wave, or done
    await worker.stop('SIGKILL');
    const restartAt = Date.now();
    worker = await startWorker();
    kills.push({
      delayMs,
      running: atKill.flatMap((o, i) => o.running.filter((a) => a.identity === identity).map((a) => `run${i}:${a.type}#${a.attempt}`)),
      restartMs: Date.now() - restartAt,
    });
    const k = kills.at(-1)!;
    console.log(`kill ${kills.length} at +${Date.now() - started} ms (${k.delayMs} ms after progress): ${k.running.join(', ') || '(workflow tasks only)'}; restart ${k.restartMs} ms`);
    // Once enough kills landed, most of them on running activities, let the runs reach the approval wait.
    if (kills.length >= MIN_KILLS && kills.filter((k) => k.running.length > 0).length >= MIN_ACTIVITY_KILLS) break;
  }
  const killPhaseMs = Date.now() - started;
  const runIds = handles.map((h) => h.workflowId);
  const windows = new Set(weeks).size;

  // Every run reaches the approval wait (the gates pass on this data).
  const waiting: RunStatus[] = [];
  for (const handle of handles) {
    let status: RunStatus | null = null;
    for (;;) {
      assert.ok(Date.now() < deadline, `run ${handle.workflowId} did not reach approval; last stage ${status?.stage}`);
      status = await handle.query(statusQuery).catch(() => null);
      if (status?.stage === 'failed') assert.fail(`run ${handle.workflowId} failed: ${status.error}`);
      if (status?.stage === 'awaiting_approval') break;
      await sleep(250);
    }
    waiting.push(status);
  }

  // Two more kills while the runs wait for a human: the approval must still apply afterwards.
  for (let i = 0; i < 2; i++) {
    await sleep(Math.round(random() * 1000));
    await worker.stop('SIGKILL');
    worker = await startWorker();
    kills.push({ delayMs: 0, running: ['(approval wait)'], restartMs: 0 });
  }

  // Approved one after the other (one promotion per model at a time): each ends done.
  for (const [i, handle] of handles.entries()) {
    await handle.executeUpdate(approveUpdate, { args: [{ user: 'alice', artifactSha256: waiting[i].candidate!.sha256 }], updateId: `approve-${i}` });
    const outcome = await handle.result();
    assert.equal(outcome.stage, 'done', `run ${i}`);
  }

  console.log(
    `worker kills: ${kills.length} (${kills.filter((k) => k.running.length > 0).length} with activities in flight) over ${handles.length} runs; ` +
      `kill phase ${killPhaseMs} ms, total ${Date.now() - started} ms`,
  );
  assert.ok(kills.length >= MIN_KILLS + 2, `only ${kills.length} kills`);
  assert.ok(kills.filter((k) => k.running.length > 0).length >= MIN_ACTIVITY_KILLS, 'enough kills interrupted running activities');

  // One version per run, registered once.
  const store = new FsRegistryStore(ws.paths.registry);
  const versions = await store.listVersions('credit');
  assert.deepEqual(versions.map((v) => v.runId).sort(), [...runIds].sort(), 'exactly one version per run');
  const registrations = (await store.readAudit('credit')).filter((a) => a.action === 'register');
  assert.equal(registrations.length, handles.length, 'one register audit line per run');
  const routing = await store.getRouting('credit');
  const last = versions.find((v) => v.runId === runIds.at(-1))!;
  assert.equal(routing.champion, last.version, 'the last approved run is champion');
  for (const [i, v] of versions.entries()) {
    assert.equal(v.artifact.sha256, waiting.find((w) => w.runId === v.runId)!.candidate!.sha256, `version ${i + 1} holds the artifact its run reported`);
    await store.readArtifact('credit', v.version); // verifies length and sha256
  }

  // Artifacts: every file is named by its own hash; nothing half-written.
  const artifactDir = path.join(ws.paths.registry, 'artifacts', 'sha256');
  for (const name of await fs.readdir(artifactDir)) {
    assert.match(name, /^[0-9a-f]{64}\.onnx$/, `unexpected file in the artifact store: ${name}`);
    assert.equal(sha256Hex(await fs.readFile(path.join(artifactDir, name))), name.slice(0, 64), `${name} does not hash to its name`);
  }

  // Snapshots: one Parquet file and one manifest per content hash, each intact.
  const snapshotDir = path.join(ws.paths.snapshots, 'credit');
  const names = await fs.readdir(snapshotDir);
  const parquet = names.filter((n) => n.endsWith('.parquet'));
  const manifests = names.filter((n) => n.endsWith('.manifest.json'));
  assert.deepEqual(names.filter((n) => !parquet.includes(n) && !manifests.includes(n)), [], 'nothing but snapshots and manifests');
  assert.equal(parquet.length, windows, `one snapshot per window: ${parquet.join(', ')}`);
  assert.deepEqual(manifests.map((m) => m.replace('.manifest.json', '')).sort(), parquet.map((p) => p.replace('.parquet', '')).sort());
  for (const m of manifests) {
    const manifest = JSON.parse(await fs.readFile(path.join(snapshotDir, m), 'utf8')) as SnapshotManifest;
    assert.equal(manifest.snapshotId, manifest.contentSha256.slice(0, 16));
    assert.ok(await verifySnapshot(manifest), `snapshot ${manifest.snapshotId} no longer holds the rows of its hash`);
  }
  const registeredSnapshots = new Set(versions.map((v) => v.snapshot?.snapshotId));
  assert.equal(registeredSnapshots.size, windows, 'each window\'s versions name its one snapshot');

  // No temp file anywhere a writer publishes by rename.
  for (const dir of [ws.paths.snapshots, ws.paths.splits, path.join(ws.paths.registry, 'artifacts'), path.join(ws.paths.registry, 'models')]) {
    const leftovers = (await fs.readdir(dir, { recursive: true })).map(String).filter((f) => path.basename(f).includes('.tmp-'));
    assert.deepEqual(leftovers, [], `temp files left in ${dir}`);
  }
});
