/**
 * The monitor on the Java time-skipping test server, over "live" traffic written by the serving
 * worker's log writer: demo weeks 5–12 arrive one per simulated day and are scored by a champion
 * trained on weeks 1–4. The data drift (credit_utilization) starts with week 9 in the small demo
 * set (drift after week 8), i.e. on the fifth day. Eight daily checks must stay quiet for weeks
 * 5–8, alert on week 9 naming credit_utilization, open exactly one retraining request (the
 * cool-down holds for the rest of the week), reach the webhook once, and keep all of it across
 * two continue-as-new. (The rollback action runs on the dev server: monitor-rollback.test.ts.)
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { quietTemporalRuntime } from '../../cli/stack';
import { FsRegistryStore } from '../../registry/fs-store';
import { ensureTool, TEMPORAL_TEST_SERVER } from '../../workers/temporal-tools';
import { confirmRetrainUpdate, monitorStatusQuery, monitorWorkflowId, stopMonitorUpdate } from '../../workflows/monitor-definitions';
import type { monitor } from '../../workflows/monitor';
import { recordHistory } from '../helpers/histories';
import { demoWorkspace, type DemoWorkspace } from '../helpers/fixtures';
import { registerDemoVersion, writeLiveTraffic } from '../helpers/live-traffic';
import { startTestWorker, uniqueTaskQueue } from '../helpers/temporal';

const DAY = 86_400_000;
const HOUR = 3_600_000;

let env: TestWorkflowEnvironment;
let ws: DemoWorkspace;
let webhook: http.Server;
const received: { event: string; text: string; details?: Record<string, unknown> }[] = [];

before(async () => {
  quietTemporalRuntime();
  const server = ensureTool(TEMPORAL_TEST_SERVER);
  [env, ws] = await Promise.all([TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: server } } }), demoWorkspace()]);
  webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  process.env.RATCHET_WEBHOOK_URL = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
});

after(async () => {
  delete process.env.RATCHET_WEBHOOK_URL;
  webhook?.close();
  await env?.teardown();
  await ws?.cleanup();
});

test('a week of checks finds the drift in the right week on the right feature and asks for one retraining', async () => {
  const store = new FsRegistryStore(ws.paths.registry);
  const champion = await registerDemoVersion(ws, store, { first: 1, last: 4 }, { runId: 'monitor-test-v1', champion: true });
  const t0 = await env.currentTimeMs();
  // Check k runs at t0 + k days and reads the day before it: it sees demo week 5 + k.
  const days = Array.from({ length: 8 }, (_, k) => ({ week: 5 + k, startMs: t0 + (k - 1) * DAY + HOUR }));
  const traffic = await writeLiveTraffic({ logDir: `${ws.paths.logs}/predictions`, ws, ...champion, days, labelShare: 0.6 });
  assert.equal(traffic.requests, 16_000);

  const configPath = await ws.writeConfig('monitor', `
approval: { approvers: [alice, bob] }
monitoring:
  interval: 1d
  window: 1d
  label_window: 1d
  min_rows: 500
  min_labels: 300
  policy: { action: request_retrain, cooldown: 4d }
`);
  const taskQueue = uniqueTaskQueue('monitor');
  const { stop } = await startTestWorker(env.nativeConnection, taskQueue, { paths: ws.paths, store });
  try {
    const handle = await env.client.workflow.start<typeof monitor>('monitor', {
      workflowId: monitorWorkflowId('credit'),
      taskQueue,
      args: [{ model: 'credit', configPath, checksPerRun: 3 }],
    });
    await env.sleep(7 * DAY + 2 * HOUR); // checks at t0, t0 + 1 d, …, t0 + 7 d

    const status = await handle.query(monitorStatusQuery);
    assert.equal(status.checks, 8, JSON.stringify(status.events));
    assert.equal(status.generation, 3, 'two continue-as-new after 3 checks each');
    const levels = status.recent.map((r) => r.level);
    assert.deepEqual(levels.slice(0, 4).filter((l) => l === 'alert'), [], `weeks 5-8 stay quiet: ${levels}`);
    assert.equal(levels[4], 'alert', `week 9 (the drift) alerts: ${levels}`);
    const week9 = status.recent[4]!;
    assert.equal(week9.worst?.column, 'credit_utilization');
    assert.ok(week9.worst!.psi >= 0.25, `PSI ${week9.worst!.psi}`);
    assert.ok(status.recent.slice(0, 4).every((r) => r.worst!.psi < 0.1), `no drift before: ${JSON.stringify(status.recent.slice(0, 4).map((r) => r.worst))}`);
    assert.ok(status.recent.slice(5).every((r) => r.outcome?.startsWith('alert held back: cool-down')), JSON.stringify(status.recent.slice(5)));
    console.log(`drift detected on check 5 (demo week 9): ${week9.worst!.column} PSI ${week9.worst!.psi.toFixed(3)}, prediction PSI ${week9.predictionPsi?.toFixed(3)}, live AUC ${week9.liveAuc?.toFixed(3)}`);

    // The latest check in full: label coverage, segments joined from the source, an estimate.
    const last = status.lastCheck!;
    assert.equal(last.traffic.scored, 2000);
    assert.ok(Math.abs(last.nowTest.coverage.share - 0.6) < 0.02, `coverage ${last.nowTest.coverage.share}`);
    assert.ok(last.nowTest.coverage.byEntityId > 0 && last.nowTest.coverage.byRequestId > last.nowTest.coverage.byEntityId);
    const online = last.segments.breakdown.find((s) => s.column === 'channel' && s.value === 'online');
    const branch = last.segments.breakdown.find((s) => s.column === 'channel' && s.value === 'branch');
    assert.ok(online && branch, JSON.stringify(last.segments));
    assert.ok(online.drifted_columns.includes('credit_utilization'), 'the shift is concentrated in the online channel');
    assert.ok((online.worst?.psi ?? 0) > (branch.worst?.psi ?? 0));
    // The champion's holdout ECE is low, so the unlabelled 40 % get a CBPE estimate, marked as one.
    assert.equal(last.estimate?.estimated, true);
    assert.equal(last.estimate?.rows, 800);

    // Exactly one alert reached the webhook and the audit log, and one request waits.
    const alerts = received.filter((n) => n.event === 'monitor_alert');
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    assert.match(alerts[0]!.text, /credit_utilization/);
    const audit = (await store.readAudit('credit')).filter((a) => a.action === 'alert');
    assert.equal(audit.length, 1);
    assert.ok(status.openRequest, 'a retraining request is open');
    assert.equal(status.started.length, 0, 'request_retrain starts nothing by itself');

    // A human confirms: exactly one run starts, with the alert as its reason.
    await assert.rejects(handle.executeUpdate(confirmRetrainUpdate, { args: [{ user: 'mallory' }] }), (err: Error) => {
      assert.ok(err instanceof WorkflowUpdateFailedError);
      assert.match((err.cause as Error).message, /mallory may not confirm/);
      return true;
    });
    const confirmed = await handle.executeUpdate(confirmRetrainUpdate, { args: [{ user: 'alice', comment: 'drift in online' }] });
    assert.equal(confirmed.started.length, 1);
    assert.equal(confirmed.openRequest, null);
    const run = confirmed.started[0]!;
    assert.match(run.workflowId, /^retrain-credit-\d{8}-\d{6}$/);
    assert.match(run.reason, /credit_utilization.*confirmed by alice/);
    const described = await env.client.workflow.getHandle(run.workflowId).describe();
    assert.equal(described.type, 'retrain');

    const final = await handle.executeUpdate(stopMonitorUpdate, { args: [{ user: 'bob', reason: 'end of test' }] });
    assert.ok(final.stopping);
    const result = await handle.result();
    assert.equal(result.checks, 8);
    await recordHistory(handle, 'monitor-drift', env.address);
    await recordHistory(handle, 'monitor-continue-as-new', env.address, handle.firstExecutionRunId);
  } finally {
    await stop();
  }
});
