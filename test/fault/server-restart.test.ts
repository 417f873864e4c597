/**
 * The Temporal server itself goes away: a dedicated dev server on an SQLite file is stopped in the
 * middle of a run (while the external scikit-learn trainer is training) and started again on the
 * same file and port; later it is stopped and started again while the run waits for approval.
 * What must be kept:
 *   - the run continues where it was: each stage is entered once (the timeline has no repeats),
 *     the data is not pulled again, exactly one version is registered;
 *   - the pipeline worker (a separate process) rides through both outages without a restart;
 *   - an approval sent after the second restart applies, once, and the run ends done with the
 *     candidate as champion.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { FsRegistryStore } from '../../registry/fs-store';
import { freePort, startDevServer, type DevServer } from '../../workers/dev-server';
import { approveUpdate, statusQuery, type RunStatus } from '../../workflows/definitions';
import type { retrain } from '../../workflows/retrain';
import { RATCHET_MODEL, RATCHET_RUN_KIND } from '../../workflows/search-attributes';
import { REPO_ROOT, spawnTsx, writeWorkflowBundle, type ChildHandle } from '../helpers/fault-process';
import { demoWorkspace, SMALL_DEMO, type DemoWorkspace } from '../helpers/fixtures';
import { uniqueTaskQueue } from '../helpers/temporal';

const WEEK_MS = 7 * 86_400_000;
const asOf = new Date(new Date(`${SMALL_DEMO.start}T00:00:00Z`).getTime() + 7 * WEEK_MS).toISOString();

let ws: DemoWorkspace;
let server: DevServer | null = null;
let worker: ChildHandle | null = null;
let connection: Connection | null = null;

before(async () => {
  ws = await demoWorkspace();
});

after(async () => {
  await worker?.stop('SIGTERM');
  await connection?.close();
  await server?.stop();
  await ws?.cleanup();
});

async function statusOf(handle: WorkflowHandle): Promise<RunStatus | null> {
  return handle.query(statusQuery).catch(() => null);
}

async function waitForStage(handle: WorkflowHandle, stages: string[], timeoutMs: number): Promise<RunStatus> {
  const deadline = Date.now() + timeoutMs;
  let status: RunStatus | null = null;
  for (;;) {
    status = await statusOf(handle);
    if (status?.stage === 'failed') assert.fail(`run failed: ${status.error}`);
    if (status && stages.includes(status.stage)) return status;
    assert.ok(Date.now() < deadline, `run did not reach ${stages.join('/')} within ${timeoutMs} ms; last stage ${status?.stage}; worker:\n${worker?.output().slice(-2000)}`);
    await sleep(100);
  }
}

test('a Temporal server restarted mid-training and during the approval wait loses nothing', async () => {
  const dbFile = path.join(ws.dir, 'temporal', 'dev.db');
  const port = await freePort();
  server = await startDevServer({ dbFile, port, ui: false });
  const address = server.address;
  connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const taskQueue = uniqueTaskQueue('fault-restart');
  worker = await spawnTsx({
    script: 'test/helpers/fault-worker.ts',
    env: {
      RATCHET_TEST_TEMPORAL_ADDRESS: address,
      RATCHET_FAULT_TASK_QUEUE: taskQueue,
      RATCHET_HOME: ws.paths.home,
      RATCHET_FAULT_BUNDLE: await writeWorkflowBundle(path.join(ws.dir, 'workflow-bundle.js')),
    },
    readyPattern: /fault-worker ready/,
  });
  const configPath = await ws.writeConfig(
    'restart',
    `
approval: { approvers: [alice, bob], expiry: 7d }
gates:
  min_performance: { metric: auc, min: 0.6 }
promotion: { stages: [], watch: 0s }
`,
  );
  // This run trains with the scikit-learn external trainer, which takes seconds: time for an outage.
  const trainer = JSON.stringify(['python3', path.join(REPO_ROOT, 'examples/sklearn-trainer/train.py')]);
  await writeFile(configPath, (await readFile(configPath, 'utf8')).replace('trainer: { kind: builtin-logistic }', `trainer: { kind: external, command: ${trainer}, timeout: 5m }`));

  const handle = await client.workflow.start<typeof retrain>('retrain', {
    workflowId: `restart-${taskQueue}`,
    taskQueue,
    args: [{ model: 'credit', configPath, initiator: 'carol', asOf }],
    typedSearchAttributes: [
      { key: RATCHET_MODEL, value: 'credit' },
      { key: RATCHET_RUN_KIND, value: 'retrain' },
    ],
  });

  // Outage 1: while the trainer runs.
  await waitForStage(handle, ['training'], 120_000);
  const stop1 = Date.now();
  await server.stop();
  const stopped1Ms = Date.now() - stop1;
  await sleep(1000); // the worker's polls and the trainer's heartbeats now fail
  const start1 = Date.now();
  server = await startDevServer({ dbFile, port, ui: false });
  const restart1Ms = Date.now() - start1;
  assert.equal(server.address, address, 'same port');

  const waiting = await waitForStage(handle, ['awaiting_approval', 'rejected'], 180_000);
  const resumedMs = Date.now() - start1;
  assert.equal(waiting.stage, 'awaiting_approval', `gates: ${JSON.stringify(waiting.blockingFailures)}`);
  assert.deepEqual(
    waiting.timeline.map((t) => t.stage),
    ['pulling', 'checking', 'training', 'evaluating', 'gating', 'registering', 'awaiting_approval'],
    'each stage entered once: the run went on, it did not start over',
  );
  assert.match(waiting.candidate!.trainer, /sklearn/i, 'trained by the external trainer');

  // Outage 2: while the run waits for a human.
  const stop2 = Date.now();
  await server.stop();
  const stopped2Ms = Date.now() - stop2;
  const start2 = Date.now();
  server = await startDevServer({ dbFile, port, ui: false });
  const restart2Ms = Date.now() - start2;

  const afterRestart = await waitForStage(handle, ['awaiting_approval'], 60_000);
  assert.equal(afterRestart.candidate?.sha256, waiting.candidate?.sha256, 'the same candidate still waits');
  let approved: RunStatus | null = null;
  for (let attempt = 0; attempt < 40 && !approved; attempt++) {
    // The first calls may meet a server still warming up; the update id makes a repeat harmless.
    approved = await handle
      .executeUpdate(approveUpdate, { args: [{ user: 'alice', comment: 'after the restart', artifactSha256: waiting.candidate!.sha256 }], updateId: 'approve-after-restart' })
      .catch(async (error: Error) => {
        if (attempt === 39) throw error;
        await sleep(250);
        return null;
      });
  }
  assert.equal(approved?.decision?.user, 'alice');
  const outcome = await handle.result();
  assert.equal(outcome.stage, 'done');

  // Kept: one version, champion now; one accepted approval in history; pulls and training not repeated.
  const store = new FsRegistryStore(ws.paths.registry);
  const versions = await store.listVersions('credit');
  assert.deepEqual(versions.map((v) => v.runId), [handle.workflowId], 'exactly one version, for this run');
  assert.equal((await store.getRouting('credit')).champion, versions[0].version);
  assert.equal(versions[0].artifact.sha256, waiting.candidate!.sha256);
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  assert.equal(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length, 1, 'the approval applied once');
  const scheduled = (type: string) => events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type).length;
  assert.equal(scheduled('pullData'), 1, 'the data was pulled once');
  assert.equal(scheduled('trainCandidate'), 1, 'training was scheduled once');
  assert.equal(worker.child.exitCode, null, `the pipeline worker survived both outages:\n${worker.output().slice(-2000)}`);
  assert.equal(worker.child.signalCode, null);
  // The training activity spanned the outage: scheduled before the stop, completed after the restart.
  const trainScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainCandidate')!;
  const trainEvents = events.filter(
    (e) =>
      String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '') === String(trainScheduled.eventId),
  );
  const trainStarted = trainEvents.find((e) => e.activityTaskStartedEventAttributes)!;
  const trainCompleted = trainEvents.find((e) => e.activityTaskCompletedEventAttributes);
  assert.ok(trainCompleted, 'training completed');
  const millis = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
  assert.ok(millis(trainScheduled) < stop1, 'training was scheduled before the outage');
  assert.ok(millis(trainCompleted) > start1, 'and completed after the restart');

  console.log(
    `server restart: stop ${stopped1Ms} ms + start ${restart1Ms} ms mid-training (training attempt ${trainStarted.activityTaskStartedEventAttributes!.attempt}, ${millis(trainCompleted) - millis(trainScheduled)} ms in all), ` +
      `run reached approval ${resumedMs} ms after the restart; approval-wait restart: stop ${stopped2Ms} ms + start ${restart2Ms} ms`,
  );
});
