/**
 * Retraining schedules on a real Temporal dev server: create is idempotent (and updates a changed
 * spec), a trigger starts a scheduled run whose retraining child trains on data up to the action's
 * time, pause stops the actions, delete removes the schedule. The model config is deliberately
 * missing, so every retraining run fails at once and the test never trains.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { ratchetPaths } from '../../core/paths';
import { FsRegistryStore } from '../../registry/fs-store';
import {
  createRetrainSchedule,
  deleteRetrainSchedule,
  describeRetrainSchedule,
  listRetrainSchedules,
  pauseRetrainSchedule,
  triggerRetrainSchedule,
  unpauseRetrainSchedule,
} from '../../cli/schedules';
import { statusQuery } from '../../workflows/definitions';
import { recordHistory } from '../helpers/histories';
import { connectTestServer, startTestWorker, uniqueTaskQueue, type TemporalTestServer } from '../helpers/temporal';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');

async function eventually<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('retraining schedules on a real Temporal server', () => {
  let server: TemporalTestServer;
  let dir: string;
  let taskQueue: string;
  let stopWorker: () => Promise<void>;
  const model = `sched-${randomBytes(3).toString('hex')}`;
  const configPath = '/nonexistent/ratchet-schedule-test.yaml';

  before(async () => {
    server = await connectTestServer();
    dir = await mkdtemp(path.join(os.tmpdir(), 'ratchet-sched-'));
    const paths = ratchetPaths(dir);
    taskQueue = uniqueTaskQueue('schedules');
    ({ stop: stopWorker } = await startTestWorker(server.nativeConnection, taskQueue, { paths, store: new FsRegistryStore(paths.registry) }));
  });

  after(async () => {
    await deleteRetrainSchedule(server.client, model).catch(() => undefined);
    await stopWorker?.();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('create is idempotent and updates a changed spec in place', async () => {
    const spec = { model, configPath, taskQueue, cron: '0 3 * * 1', timezone: 'UTC' };
    assert.equal((await createRetrainSchedule(server.client, spec)).outcome, 'created');
    assert.equal((await createRetrainSchedule(server.client, spec)).outcome, 'unchanged');
    assert.equal((await createRetrainSchedule(server.client, { ...spec, cron: '30 4 * * 2', timezone: 'Europe/Berlin' })).outcome, 'updated');
    const view = await describeRetrainSchedule(server.client, model);
    assert.equal(view.scheduleId, `retrain-schedule-${model}`);
    assert.deepEqual([view.cron, view.timezone, view.overlap, view.catchupWindowMs, view.paused], ['30 4 * * 2', 'Europe/Berlin', 'SKIP', 24 * 3_600_000, false]);
    const next = new Date(view.nextRuns[0]!);
    assert.equal(next.getUTCDay(), 2, `next run ${view.nextRuns[0]} is a Tuesday`);
    assert.equal(next.getUTCMinutes(), 30);
    await eventually('the schedule in the list', async () => (await listRetrainSchedules(server.client)).some((s) => s.model === model));
  });

  test('the CLI says when nothing changed', async () => {
    const configDir = await mkdtemp(path.join(os.tmpdir(), 'ratchet-sched-cli-'));
    const other = `${model}-cli`;
    try {
      // The CLI resolves a real config: a minimal valid one for this model name.
      const file = path.join(configDir, `${other}.yaml`);
      await writeFile(file, `model: ${other}\nsource: { kind: files, path: data/*.parquet }\ntime_column: t\nid_column: id\nlabel: y\nfeatures: { numeric: [x] }\ntrainer: { kind: builtin-logistic }\napproval: { approvers: [alice] }\n`);
      const env = { ...process.env, TEMPORAL_ADDRESS: server.address, NO_COLOR: '1' };
      const cli = (args: string[]) => run(process.execPath, [path.join(ROOT, 'cli/bin.mjs'), 'schedule', ...args], { env, cwd: ROOT });
      assert.match((await cli(['create', other, '--config', file])).stdout, new RegExp(`retrain-schedule-${other} created`));
      assert.match((await cli(['create', other, '--config', file])).stdout, /already exists with this spec: unchanged/);
      await cli(['delete', other]);
      await assert.rejects(cli(['describe', other]), (err: { stderr: string; code: number }) => {
        assert.match(err.stderr, new RegExp(`no retraining schedule for ${other}`));
        assert.equal(err.code, 1);
        return true;
      });
    } finally {
      await rm(configDir, { recursive: true, force: true });
    }
  });

  test('a trigger starts a scheduled run whose retraining child runs on data up to the action time', async () => {
    await triggerRetrainSchedule(server.client, model);
    const action = await eventually('the triggered action', async () => (await describeRetrainSchedule(server.client, model)).recent[0]);
    const wrapper = server.client.workflow.getHandle(action.workflowId);
    await assert.rejects(wrapper.result(), 'the child fails: its config does not exist');
    const children = await eventually('the retraining run', async () => {
      const found: string[] = [];
      for await (const wf of server.client.workflow.list({ query: `RatchetModel="${model}" AND RatchetRunKind="retrain"` })) found.push(wf.workflowId);
      return found.length ? found : null;
    });
    assert.equal(children.length, 1);
    const stamp = action.scheduledAt.replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    assert.equal(children[0], `retrain-${model}-${stamp}`);
    const status = await server.client.workflow.getHandle(children[0]!).query(statusQuery);
    // The server records the action time to the second.
    assert.ok(Math.abs(Date.parse(status.asOf) - Date.parse(action.scheduledAt)) < 1000, `asOf ${status.asOf} is the action time ${action.scheduledAt}`);
    assert.equal(status.initiator, 'scheduler');
    assert.equal(status.stage, 'failed');
    assert.match(status.error!, /cannot read the file/);
    await recordHistory(wrapper, 'scheduled-retrain', server.address);
  });

  test('pause stops the actions, unpause resumes them', async () => {
    await createRetrainSchedule(server.client, { model, configPath, taskQueue, cron: '*/2 * * * * * *', timezone: 'UTC' }); // every 2 s
    const taken = await eventually('an action on schedule', async () => {
      const view = await describeRetrainSchedule(server.client, model);
      return view.actionsTaken >= 2 ? view.actionsTaken : null;
    });
    await pauseRetrainSchedule(server.client, model, 'paused by the test');
    const paused = await describeRetrainSchedule(server.client, model);
    assert.equal(paused.paused, true);
    assert.equal(paused.note, 'paused by the test');
    await new Promise((r) => setTimeout(r, 5000));
    const still = await describeRetrainSchedule(server.client, model);
    assert.ok(still.actionsTaken <= taken + 1, `no actions while paused: ${taken} → ${still.actionsTaken}`);
    assert.equal(still.actionsTaken, paused.actionsTaken);
    await unpauseRetrainSchedule(server.client, model, 'resumed by the test');
    await eventually('an action after unpause', async () => (await describeRetrainSchedule(server.client, model)).actionsTaken > still.actionsTaken);
  });

  test('delete removes the schedule', async () => {
    await deleteRetrainSchedule(server.client, model);
    await assert.rejects(describeRetrainSchedule(server.client, model), /no retraining schedule for/);
    await eventually('the schedule gone from the list', async () => !(await listRetrainSchedules(server.client)).some((s) => s.model === model));
  });
});
