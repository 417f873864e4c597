/**
 * The retraining loop on a real Temporal dev server: happy path to champion, a second run judged
 * against it, a run blocked by a gate, and approvals that must be refused without a trace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { approveUpdate, overrideUpdate, promotionWorkflowId, rejectUpdate, statusQuery, type RunStatus } from '../../workflows/definitions';
import type { retrain } from '../../workflows/retrain';
import { RATCHET_MODEL, RATCHET_RUN_KIND } from '../../workflows/search-attributes';
import { recordHistory } from '../helpers/histories';
import { openTestStore, TEST_STORE_KIND, type TestStore } from '../helpers/test-store';
import { demoWorkspace, SMALL_DEMO, type DemoWorkspace } from '../helpers/fixtures';
import { connectTestServer, startTestWorker, uniqueTaskQueue, type TemporalTestServer } from '../helpers/temporal';

const WEEK_MS = 7 * 86_400_000;
const weekStart = (w: number) => new Date(new Date(`${SMALL_DEMO.start}T00:00:00Z`).getTime() + w * WEEK_MS).toISOString();

const APPROVAL = `
approval: { approvers: [alice, bob], admins: [alice], expiry: 7d }
promotion: { stages: [], watch: 0s }
gates:
  min_performance: { metric: auc, min: 0.6 }
  non_regression: { metric: auc, max_drop: 0.05 }
`;

describe(`retrain workflow on a real Temporal server (${TEST_STORE_KIND} registry)`, () => {
  let server: TemporalTestServer;
  let ws: DemoWorkspace;
  let store: TestStore;
  let taskQueue: string;
  let stopWorker: () => Promise<void>;

  before(async () => {
    [server, ws] = await Promise.all([connectTestServer(), demoWorkspace()]);
    store = await openTestStore(ws.paths.registry);
    taskQueue = uniqueTaskQueue('retrain-it');
    ({ stop: stopWorker } = await startTestWorker(server.nativeConnection, taskQueue, { paths: ws.paths, store }));
  });

  after(async () => {
    await stopWorker?.();
    await store?.close();
    await server?.close();
    await ws?.cleanup();
  });

  async function start(id: string, configPath: string, asOfWeek: number, initiator = 'carol') {
    return server.client.workflow.start<typeof retrain>('retrain', {
      workflowId: `${id}-${taskQueue}`,
      taskQueue,
      args: [{ model: 'credit', configPath, initiator, asOf: weekStart(asOfWeek) }],
      typedSearchAttributes: [
        { key: RATCHET_MODEL, value: 'credit' },
        { key: RATCHET_RUN_KIND, value: 'retrain' },
      ],
    });
  }

  async function waitFor(handle: { query: (q: typeof statusQuery) => Promise<RunStatus> }, stages: string[]): Promise<RunStatus> {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const status = await handle.query(statusQuery).catch(() => null);
      if (status && stages.includes(status.stage)) return status;
      if (status?.stage === 'failed') assert.fail(`run failed: ${status.error}`);
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${stages.join('/')}; last: ${JSON.stringify(status?.stage)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function refusal(promise: Promise<unknown>): Promise<string> {
    const err = await promise.then(
      () => assert.fail('expected the update to be refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowUpdateFailedError, `expected WorkflowUpdateFailedError, got ${String(err)}`);
    return (err.cause as Error).message;
  }

  test('first run: gates pass, refused approvals leave no trace, an approver promotes it to champion', async () => {
    const config = await ws.writeConfig('happy', APPROVAL);
    const handle = await start('happy', config, 6);
    const waiting = await waitFor(handle, ['awaiting_approval', 'rejected']);
    assert.equal(waiting.stage, 'awaiting_approval', `gates: ${JSON.stringify(waiting.gates)}`);
    assert.equal(waiting.champion, null);
    assert.equal(waiting.candidate?.version, 1);
    assert.match(waiting.candidate!.sha256, /^[0-9a-f]{64}$/);
    assert.ok(waiting.metrics!.candidate.auc! > 0.6, `auc ${waiting.metrics!.candidate.auc}`);
    const nonRegression = waiting.gates.find((g) => g.gate === 'non_regression');
    assert.equal(nonRegression?.verdict, 'skipped', 'no champion yet: non-regression is skipped');
    assert.ok(waiting.reportPath?.endsWith('report.html'));
    const sha = waiting.candidate!.sha256;

    // Findable by search attributes, as in the Temporal UI's filter.
    const query = `RatchetModel="credit" AND RatchetStage="awaiting_approval" AND WorkflowId="${handle.workflowId}"`;
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      for await (const wf of server.client.workflow.list({ query })) found.push(wf.workflowId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(found, [handle.workflowId]);

    const outsider = await refusal(handle.executeUpdate(approveUpdate, { args: [{ user: 'mallory', artifactSha256: sha }] }));
    assert.match(outsider, /mallory is not an approver of credit; approvers: alice, bob/);
    const self = await refusal(handle.executeUpdate(approveUpdate, { args: [{ user: 'carol', artifactSha256: sha }] }));
    assert.match(self, /not an approver/); // carol started it and is not on the list either
    const wrongHash = await refusal(handle.executeUpdate(approveUpdate, { args: [{ user: 'alice', artifactSha256: 'f'.repeat(64) }] }));
    assert.match(wrongHash, /artifact hash mismatch/);
    const noReason = await refusal(handle.executeUpdate(rejectUpdate, { args: [{ user: 'bob', reason: '  ' }] }));
    assert.match(noReason, /needs a reason/);

    const approved = await handle.executeUpdate(approveUpdate, { args: [{ user: 'alice', comment: 'looks good', artifactSha256: sha }] });
    assert.equal(approved.decision?.user, 'alice');
    const outcome = await handle.result();
    assert.equal(outcome.stage, 'done');

    const routing = await store.getRouting('credit');
    assert.equal(routing.champion, 1);
    assert.equal((await store.getVersion('credit', 1)).status, 'champion');

    // Refused updates were rejected by the validator: nothing about them entered the history.
    const history = await handle.fetchHistory();
    const updates = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    assert.equal(updates.length, 1, 'only the real approval is in the history');
    const serialized = JSON.stringify(history);
    assert.ok(!serialized.includes('mallory'), 'the refused approver does not appear in history');

    const audit = await store.readAudit('credit');
    assert.ok(audit.some((a) => a.action === 'routing' && a.actor === 'alice'), 'routing change audited with the approver');
    await recordHistory(handle, 'retrain-approved', server.address);
    await recordHistory(server.client.workflow.getHandle(promotionWorkflowId('credit')), 'promotion-direct', server.address);
  });

  test('second run is evaluated against the champion; the initiator cannot approve their own run', async () => {
    const config = await ws.writeConfig('second', APPROVAL);
    const handle = await start('second', config, 11, 'bob');
    const status = await waitFor(handle, ['awaiting_approval', 'rejected']);
    assert.equal(status.champion?.version, 1);
    assert.ok(status.metrics?.champion, 'champion metrics on the same holdout');
    assert.equal(typeof status.metrics!.champion!.auc, 'number');
    const nonRegression = status.gates.find((g) => g.gate === 'non_regression');
    assert.ok(nonRegression && nonRegression.verdict !== 'skipped', 'non-regression judged against the champion');
    if (status.stage === 'awaiting_approval') {
      const self = await refusal(handle.executeUpdate(approveUpdate, { args: [{ user: 'bob', artifactSha256: status.candidate!.sha256 }] }));
      assert.match(self, /bob started this run and cannot approve it: four eyes/);
      await handle.executeUpdate(rejectUpdate, { args: [{ user: 'alice', reason: 'test rejection' }] });
      const outcome = await handle.result();
      assert.equal(outcome.stage, 'rejected');
      assert.equal((await store.getVersion('credit', outcome.version!)).status, 'rejected');
      await recordHistory(handle, 'retrain-rejected-by-approver', server.address);
    }
    assert.equal((await store.getRouting('credit')).champion, 1, 'champion unchanged');
  });

  test('a candidate below the minimum performance is rejected with the failing gate named', async () => {
    // Without admins nobody may override: the run ends at once.
    const config = await ws.writeConfig('blocked', APPROVAL.replace('min: 0.6', 'min: 0.99').replace('admins: [alice], ', ''));
    const handle = await start('blocked', config, 7);
    const outcome = await handle.result();
    assert.equal(outcome.stage, 'rejected');
    assert.deepEqual(outcome.blockingFailures, ['min_performance']);
    const version = await store.getVersion('credit', outcome.version!);
    assert.equal(version.status, 'rejected');
    assert.equal(version.gates.find((g) => g.gate === 'min_performance')?.verdict, 'fail');
    assert.equal((await store.getRouting('credit')).champion, 1);
    await recordHistory(handle, 'retrain-blocked-by-gate', server.address);
  });

  test('an admin overrides a failed gate with a reason; then it can be approved; all of it recorded', async () => {
    const config = await ws.writeConfig('override', APPROVAL.replace('min: 0.6', 'min: 0.99'));
    const handle = await start('override', config, 9);
    const waiting = await waitFor(handle, ['awaiting_approval', 'rejected']);
    assert.equal(waiting.stage, 'awaiting_approval');
    assert.deepEqual(waiting.blockingFailures, ['min_performance']);
    const sha = waiting.candidate!.sha256;
    const blocked = await refusal(handle.executeUpdate(approveUpdate, { args: [{ user: 'bob', artifactSha256: sha }] }));
    assert.match(blocked, /blocking gate failed: min_performance; an admin \(alice\) may override/);
    const notAdmin = await refusal(handle.executeUpdate(overrideUpdate, { args: [{ user: 'bob', gate: 'min_performance', reason: 'fine' }] }));
    assert.match(notAdmin, /bob may not override gates of credit; admins: alice/);
    const noReason = await refusal(handle.executeUpdate(overrideUpdate, { args: [{ user: 'alice', gate: 'min_performance', reason: '' }] }));
    assert.match(noReason, /written reason/);

    const overridden = await handle.executeUpdate(overrideUpdate, { args: [{ user: 'alice', gate: 'min_performance', reason: 'the floor is set too high for this quarter' }] });
    assert.deepEqual(overridden.blockingFailures, []);
    assert.equal(overridden.gates.find((g) => g.gate === 'min_performance')?.override?.by, 'alice');
    await handle.executeUpdate(approveUpdate, { args: [{ user: 'bob', artifactSha256: sha }] });
    const outcome = await handle.result();
    assert.equal(outcome.stage, 'done');

    const version = await store.getVersion('credit', outcome.version!);
    assert.equal(version.gates.find((g) => g.gate === 'min_performance')?.override?.reason, 'the floor is set too high for this quarter');
    assert.ok((await store.readAudit('credit')).some((a) => a.action === 'override' && a.actor === 'alice'));
    const { readFile } = await import('node:fs/promises');
    assert.match(await readFile(version.reportPath!, 'utf8'), /the floor is set too high for this quarter/);
  });

  test('a config error fails the run at once with the file, field and fix', async () => {
    const config = await ws.writeConfig('broken', APPROVAL.replace('metric: auc, min', 'metric: acu, min'));
    const handle = await start('broken', config, 7);
    const err = await handle.result().then(
      () => assert.fail('expected failure'),
      (e: Error) => e,
    );
    let cause: Error = err;
    while (cause.cause instanceof Error) cause = cause.cause;
    assert.match(cause.message, /broken\.yaml/);
    assert.match(cause.message, /gates\.min_performance\.metric/);
    assert.match(cause.message, /did you mean "auc"/);
  });
});
