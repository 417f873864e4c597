/**
 * `ratchet runs` on a real Temporal dev server: runs started as the CLI starts them (with
 * RatchetModel and RatchetRunKind) are found by model, and by the stage the workflow keeps in
 * RatchetStage. The runs' config is missing, so they end `failed` at once without training.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { listRuns, runQuery } from '../../cli/run-list';
import { ratchetPaths } from '../../core/paths';
import { FsRegistryStore } from '../../registry/fs-store';
import type { retrain } from '../../workflows/retrain';
import { RATCHET_MODEL, RATCHET_RUN_KIND } from '../../workflows/search-attributes';
import { connectTestServer, startTestWorker, uniqueTaskQueue, type TemporalTestServer } from '../helpers/temporal';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
let server: TemporalTestServer;
let dir: string;
let stopWorker: () => Promise<void>;
let taskQueue: string;

before(async () => {
  server = await connectTestServer();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ratchet-runs-'));
  const paths = ratchetPaths(dir);
  taskQueue = uniqueTaskQueue('find-runs');
  ({ stop: stopWorker } = await startTestWorker(server.nativeConnection, taskQueue, { paths, store: new FsRegistryStore(paths.registry) }));
});

after(async () => {
  await stopWorker?.();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

test('runs are found by model and stage through the search attributes', async () => {
  const model = `runs-${randomBytes(3).toString('hex')}`;
  const ids = [`retrain-${model}-a`, `retrain-${model}-b`];
  for (const id of ids) {
    const handle = await server.client.workflow.start<typeof retrain>('retrain', {
      workflowId: id,
      taskQueue,
      args: [{ model, configPath: '/nonexistent/runs-test.yaml', initiator: 'carol', asOf: '2026-03-01T00:00:00Z' }],
      typedSearchAttributes: [
        { key: RATCHET_MODEL, value: model },
        { key: RATCHET_RUN_KIND, value: 'retrain' },
      ],
    });
    await assert.rejects(handle.result());
  }
  // Visibility is eventually consistent: wait until both runs show their final stage.
  const deadline = Date.now() + 30_000;
  let failed = await listRuns(server.client, { model, stage: 'failed' });
  while (failed.length < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    failed = await listRuns(server.client, { model, stage: 'failed' });
  }
  assert.deepEqual(failed.map((r) => r.workflowId).sort(), ids);
  assert.ok(failed.every((r) => r.model === model && r.kind === 'retrain' && r.stage === 'failed' && r.status === 'FAILED'));
  assert.deepEqual(await listRuns(server.client, { model, stage: 'awaiting_approval' }), []);
  assert.equal((await listRuns(server.client, { model, limit: 1 })).length, 1);
  assert.deepEqual(await listRuns(server.client, { model: `${model}-other` }), []);

  // The command itself, as a user runs it.
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'cli/bin.mjs'), 'runs', '--model', model, '--stage', 'failed', '--json'], {
    env: { ...process.env, TEMPORAL_ADDRESS: server.address },
    cwd: ROOT,
  });
  assert.deepEqual((JSON.parse(stdout) as { workflowId: string }[]).map((r) => r.workflowId).sort(), ids);
});

test('the query quotes its values', () => {
  assert.equal(runQuery({ model: 'credit', stage: 'awaiting_approval' }), 'RatchetRunKind="retrain" AND RatchetModel="credit" AND RatchetStage="awaiting_approval"');
  assert.equal(runQuery({ model: 'x" OR RatchetModel="y', kind: 'monitor' }), 'RatchetRunKind="monitor" AND RatchetModel="x\\" OR RatchetModel=\\"y"');
});
