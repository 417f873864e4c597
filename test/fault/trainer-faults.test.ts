/**
 * External trainers that misbehave, in real retraining runs on a real Temporal server
 * (`trainer: { kind: external, command: [...], timeout: 10s }`). The trainers are tiny shell and
 * node programs that speak the protocol's command line and then hang, crash or write garbage;
 * what is under test is Ratchet's handling of them. What must be kept:
 *   - a hanging trainer: the run ends failed after one attempt (a retry would hang as long
 *     again) with a timeout reason naming the limit, and its process group is gone (no trainer
 *     process outlives the run);
 *   - a trainer command that does not exist: the run fails at once (one attempt) naming the
 *     command and the fix;
 *   - a crashing trainer (exit 1): the run ends failed with the trainer's stderr in the error,
 *     after the training retries;
 *   - a trainer that writes an invalid model.onnx: the run fails at once (one attempt, no
 *     retry) naming the file;
 *   - in every case: `ratchet status` and the status query show the reason, and the registry
 *     holds no version for the run.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { FsRegistryStore } from '../../registry/fs-store';
import { statusQuery, type RunStatus } from '../../workflows/definitions';
import type { retrain } from '../../workflows/retrain';
import { REPO_ROOT } from '../helpers/fault-process';
import { SMALL_DEMO, type DemoWorkspace } from '../helpers/fixtures';
import type { TemporalTestServer } from '../helpers/temporal';
import { pipelineRig, type PipelineRig } from '../helpers/pipeline-rig';

const run = promisify(execFile);
const WEEK_MS = 7 * 86_400_000;
const asOf = new Date(new Date(`${SMALL_DEMO.start}T00:00:00Z`).getTime() + 7 * WEEK_MS).toISOString();
const TIMEOUT_MS = 10_000;

let server: TemporalTestServer;
let ws: DemoWorkspace;
let store: FsRegistryStore;
let taskQueue: string;
let rig: PipelineRig;

before(async () => {
  rig = await pipelineRig('fault-trainer');
  ({ server, ws, store, taskQueue } = rig);
});

after(() => rig?.close());

/** A config whose trainer is `command` (Ratchet appends --train --valid --out --spec). */
async function configFor(name: string, command: string[]): Promise<string> {
  const file = await ws.writeConfig(name, `approval: { approvers: [alice] }\n`);
  const text = await fs.readFile(file, 'utf8');
  const trainer = `trainer: { kind: external, command: ${JSON.stringify(command)}, timeout: ${TIMEOUT_MS / 1000}s }`;
  await fs.writeFile(file, text.replace('trainer: { kind: builtin-logistic }', trainer));
  return file;
}

async function start(name: string, command: string[]): Promise<WorkflowHandle<typeof retrain>> {
  return server.client.workflow.start<typeof retrain>('retrain', {
    workflowId: `trainer-${name}-${taskQueue}`,
    taskQueue,
    args: [{ model: 'credit', configPath: await configFor(name, command), initiator: 'carol', asOf }],
  });
}

/** The run's failure, its status (query) and `ratchet status --json`, and its trainCandidate attempts. */
async function failure(handle: WorkflowHandle<typeof retrain>) {
  const err = await handle.result().then(
    (outcome) => assert.fail(`expected the run to fail, it ended ${outcome.stage}`),
    (e: Error) => e,
  );
  let cause: Error = err;
  while (cause.cause instanceof Error) cause = cause.cause;
  const status: RunStatus = await handle.query(statusQuery);
  const cli = await run(process.execPath, ['cli/bin.mjs', 'status', handle.workflowId, '--json'], {
    cwd: REPO_ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: server.address },
  });
  const events = (await handle.fetchHistory()).events ?? [];
  const trainScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainCandidate');
  const attempts = events.filter((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === trainScheduled?.eventId?.toString());
  const lastAttempt = attempts.at(-1)?.activityTaskStartedEventAttributes?.attempt ?? 0;
  return { cause: cause.message, status, cli: JSON.parse(cli.stdout) as RunStatus, attempts: lastAttempt };
}

async function assertNothingRegistered(handle: WorkflowHandle): Promise<void> {
  assert.equal(await store.findVersionByRun('credit', handle.workflowId), null, `a version was registered for ${handle.workflowId}`);
}

/** Pids of live processes whose command line holds `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) pids.push(Number(entry));
  }
  return pids;
}

test('hanging, crashing, missing and garbage-writing trainers fail their runs with the reason, registering nothing', async () => {
  const started = Date.now();
  const hangMarker = `ratchet-fault-hang-${taskQueue}`;
  // The runs go at once: the crash's retries dominate the wall time.
  const hang = await start('hang', ['sh', '-c', 'echo "training forever"; while :; do sleep 1; done', hangMarker]);
  const crash = await start('crash', [
    'sh',
    '-c',
    'echo "reading the training split" >&2; echo "ValueError: could not convert string to float: n/a (column income)" >&2; exit 1',
    'crash',
  ]);
  const missing = await start('missing', ['/nonexistent/ratchet-trainer', '--epochs', '3']);
  // Parses --out like a real trainer, writes a model.onnx that is not ONNX and a valid meta.json, exits 0.
  const garbage = await start('garbage', [
    process.execPath,
    '-e',
    `const out = process.argv[process.argv.indexOf('--out') + 1];
     const fs = require('node:fs');
     fs.writeFileSync(out + '/model.onnx', 'PK this is a zip file, not a model');
     fs.writeFileSync(out + '/meta.json', JSON.stringify({ trainer: 'garbage' }));`,
    '--', // the protocol's arguments go to the script, not to node
  ]);

  // Garbage: at once, one attempt, naming the file.
  const g = await failure(garbage);
  const garbageMs = Date.now() - started;
  assert.match(g.cause, /model\.onnx is not a usable model/);
  assert.ok(g.cause.includes(`/runs/${garbage.workflowId}/candidate/model.onnx`), `the error names the file: ${g.cause}`);
  assert.equal(g.attempts, 1, 'an invalid model is not retried');
  assert.equal(g.status.stage, 'failed');
  assert.equal(g.status.error, g.cause);
  assert.equal(g.cli.stage, 'failed');
  assert.match(g.cli.error ?? '', /model\.onnx is not a usable model/);
  await assertNothingRegistered(garbage);

  // Missing command: at once, one attempt, naming the command and the fix.
  const m = await failure(missing);
  assert.match(m.cause, /could not start the trainer `\/nonexistent\/ratchet-trainer --epochs 3`: .*ENOENT.*Check the command and its PATH/);
  assert.equal(m.attempts, 1, 'a command that cannot start is not retried');
  assert.equal(m.status.stage, 'failed');
  assert.equal(m.cli.error, m.cause);
  await assertNothingRegistered(missing);

  // Crash: retried, then failed with its stderr.
  const c = await failure(crash);
  const crashMs = Date.now() - started;
  assert.match(c.cause, /exited with code 1/);
  assert.match(c.cause, /ValueError: could not convert string to float: n\/a \(column income\)/, 'the trainer\'s stderr is in the error');
  assert.match(c.cause, /reading the training split/);
  assert.equal(c.attempts, 3, 'a crash is retried (it may be transient), three attempts in all');
  assert.equal(c.status.stage, 'failed');
  assert.match(c.status.error ?? '', /ValueError: could not convert string to float/);
  assert.match(c.cli.error ?? '', /ValueError: could not convert string to float/);
  await assertNothingRegistered(crash);

  // Hang: killed at the limit, not retried; the run fails with a timeout.
  const h = await failure(hang);
  const hangMs = Date.now() - started;
  assert.match(h.cause, /the trainer `sh -c .*` ran longer than 10000 ms and was killed with its process group/, `the trainer's timeout, naming the limit: ${h.cause}`);
  assert.equal(h.attempts, 1, 'a trainer over its time limit is not retried');
  assert.equal(h.status.stage, 'failed');
  assert.equal(h.status.error, h.cause);
  assert.equal(h.cli.error, h.cause);
  await assertNothingRegistered(hang);
  // The trainer was killed with its process group (SIGTERM, then SIGKILL).
  for (let i = 0; i < 50 && (await processesWith(hangMarker)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await processesWith(hangMarker), [], 'no hung trainer process outlives its run');

  assert.deepEqual(await store.listVersions('credit'), [], 'the registry holds no version at all');
  console.log(
    `trainer faults: garbage failed after ${garbageMs} ms (1 attempt), crash after ${crashMs} ms (${c.attempts} attempts), ` +
      `hang after ${hangMs} ms (${h.attempts} attempts): "${h.cause.split('\n')[0]}"`,
  );
});
