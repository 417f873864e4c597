/**
 * Approval expiry on the Java time-skipping test server: a run nobody decides on ends `expired`
 * after the configured wait (seven simulated days pass in seconds) and its version is rejected.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { quietTemporalRuntime } from '../../cli/stack';
import { FsRegistryStore } from '../../registry/fs-store';
import { ensureTool, TEMPORAL_TEST_SERVER } from '../../workers/temporal-tools';
import { statusQuery } from '../../workflows/definitions';
import type { retrain } from '../../workflows/retrain';
import { recordHistory } from '../helpers/histories';
import { demoWorkspace, SMALL_DEMO, type DemoWorkspace } from '../helpers/fixtures';
import { startTestWorker, uniqueTaskQueue } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let ws: DemoWorkspace;

before(async () => {
  quietTemporalRuntime();
  const path = ensureTool(TEMPORAL_TEST_SERVER);
  [env, ws] = await Promise.all([TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } }), demoWorkspace()]);
});

after(async () => {
  await env?.teardown();
  await ws?.cleanup();
});

test('an approval nobody gives expires after the configured wait', async () => {
  const store = new FsRegistryStore(ws.paths.registry);
  const taskQueue = uniqueTaskQueue('expiry');
  const { stop } = await startTestWorker(env.nativeConnection, taskQueue, { paths: ws.paths, store });
  try {
    const configPath = await ws.writeConfig('expiry', `
approval: { approvers: [alice], expiry: 3d }
gates: { min_performance: { metric: auc, min: 0.55 } }
`);
    const asOf = new Date(new Date(`${SMALL_DEMO.start}T00:00:00Z`).getTime() + 6 * 7 * 86_400_000).toISOString();
    const handle = await env.client.workflow.start<typeof retrain>('retrain', {
      workflowId: `expiry-${taskQueue}`,
      taskQueue,
      args: [{ model: 'credit', configPath, initiator: 'scheduler', asOf }],
    });
    const startedAt = await env.currentTimeMs();
    const outcome = await handle.result(); // time skips while the workflow waits on its timer
    const elapsed = (await env.currentTimeMs()) - startedAt;
    assert.equal(outcome.stage, 'expired');
    assert.ok(elapsed >= 3 * 86_400_000, `simulated wait was ${elapsed} ms`);
    const status = await handle.query(statusQuery);
    assert.equal(status.decision, null);
    assert.equal((await store.getVersion('credit', outcome.version!)).status, 'rejected');
    assert.equal((await store.getRouting('credit')).champion, null, 'nothing promoted');
    const audit = await store.readAudit('credit');
    assert.ok(audit.some((a) => a.reason === 'approval expired'));
    await recordHistory(handle, 'retrain-expired', env.address);
  } finally {
    await stop();
  }
});
