/**
 * The monitor's rollback action on a real Temporal dev server: a champion that scores backwards
 * (live AUC ≈ 0.2, proven below the configured minimum of 0.7) is rolled back to the previous
 * champion by an automatic rollback the monitor starts on its first check. The monitor runs with
 * Ratchet's search attributes, as `ratchet monitor start` starts it, so it also looks for open
 * runs through visibility and keeps its level in RatchetVerdict. (On the time-skipping server the
 * rollback's cancellation of a promotion that does not exist never resolves: hence a real server.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FsRegistryStore } from '../../registry/fs-store';
import type { rollback } from '../../workflows/rollback';
import type { monitor } from '../../workflows/monitor';
import { monitorStatusQuery, stopMonitorUpdate } from '../../workflows/monitor-definitions';
import { RATCHET_MODEL, RATCHET_RUN_KIND, RATCHET_VERDICT } from '../../workflows/search-attributes';
import { demoWorkspace, type DemoWorkspace } from '../helpers/fixtures';
import { registerDemoVersion, writeLiveTraffic } from '../helpers/live-traffic';
import { connectTestServer, startTestWorker, uniqueTaskQueue, type TemporalTestServer } from '../helpers/temporal';

let server: TemporalTestServer;
let ws: DemoWorkspace;

before(async () => {
  [server, ws] = await Promise.all([connectTestServer(), demoWorkspace()]);
});

after(async () => {
  await server?.close();
  await ws?.cleanup();
});

test('live quality proven below the minimum rolls the champion back (action rollback)', async () => {
  const store = new FsRegistryStore(ws.paths.registry);
  await registerDemoVersion(ws, store, { first: 1, last: 4 }, { runId: 'rollback-test-v1', champion: true });
  const broken = await registerDemoVersion(ws, store, { first: 1, last: 4 }, { runId: 'rollback-test-v2', champion: true, inverted: true });
  const before = await store.getRouting('credit');
  assert.deepEqual([before.champion, before.previous], [2, 1]);
  await writeLiveTraffic({ logDir: `${ws.paths.logs}/predictions`, ws, ...broken, days: [{ week: 5, startMs: Date.now() - 3 * 3_600_000 }], labelShare: 0.5 });
  const configPath = await ws.writeConfig('rollback', `
approval: { approvers: [alice] }
monitoring:
  interval: 1d
  policy: { action: rollback, min_auc: 0.7 }
`);
  const taskQueue = uniqueTaskQueue('monitor-rollback');
  const { stop } = await startTestWorker(server.nativeConnection, taskQueue, { paths: ws.paths, store });
  try {
    const handle = await server.client.workflow.start<typeof monitor>('monitor', {
      workflowId: `monitor-credit-${taskQueue}`,
      taskQueue,
      args: [{ model: 'credit', configPath }],
      typedSearchAttributes: [
        { key: RATCHET_MODEL, value: 'credit' },
        { key: RATCHET_RUN_KIND, value: 'monitor' },
      ],
    });
    let status = await handle.query(monitorStatusQuery);
    const deadline = Date.now() + 120_000;
    while (status.started.length === 0) {
      if (Date.now() > deadline) assert.fail(`no rollback started: ${JSON.stringify(status.events)}`);
      await new Promise((r) => setTimeout(r, 250));
      status = await handle.query(monitorStatusQuery);
    }
    const started = status.started[0]!;
    assert.equal(started.kind, 'rollback');
    assert.ok(status.lastCheck!.health.belowMinimum, JSON.stringify(status.lastCheck!.health.findings));
    assert.match(started.reason, /is below the minimum 0.7/);

    const rolled = await server.client.workflow.getHandle<typeof rollback>(started.workflowId).result();
    assert.deepEqual([rolled.from.champion, rolled.to.champion], [2, 1]);
    assert.equal((await store.getRouting('credit')).champion, 1);
    const audit = await store.readAudit('credit');
    const incident = audit.find((a) => a.action === 'incident');
    assert.equal(incident?.details?.kind, 'automatic');
    assert.equal(incident?.actor, 'ratchet-monitor');
    assert.equal(audit.filter((a) => a.action === 'alert').length, 1);

    const described = await handle.describe();
    assert.equal(described.typedSearchAttributes.get(RATCHET_VERDICT), 'alert', 'the monitor keeps its level in RatchetVerdict');
    await handle.executeUpdate(stopMonitorUpdate, { args: [{ user: 'alice', reason: 'end of test' }] });
    const final = await handle.result();
    assert.equal(final.checks, 1);
  } finally {
    await stop();
  }
});
