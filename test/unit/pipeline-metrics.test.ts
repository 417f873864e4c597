/**
 * The pipeline worker's metrics and activity logs: real registry activities run in the SDK's
 * activity environment with the worker's interceptors, then the counters, the histogram and the
 * JSON log lines are read back; the metrics server answers /metrics and /healthz.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { createActivities } from '../../activities';
import { ratchetPaths } from '../../core/paths';
import type { GateResult } from '../../core/types';
import { FsRegistryStore } from '../../registry/fs-store';
import { activityLoggingInterceptor, coreLogLevel, modelOf, PinoTemporalLogger } from '../../workers/logging';
import { failedGates, gateFamily, PipelineMetrics, runOutcome, startMetricsServer } from '../../workers/pipeline/metrics';
import { readSettings, SettingsError } from '../../workers/pipeline/main';
import { FEATURES, trainOnnx } from '../helpers/serving-models';

const gate = (name: string, verdict: GateResult['verdict'], blocking = true): GateResult => ({ gate: name, verdict, blocking, value: null, threshold: null, evidence: '' });

describe('pipeline worker metrics', () => {
  let dir: string;
  let store: FsRegistryStore;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ratchet-metrics-'));
    store = new FsRegistryStore(path.join(dir, 'registry'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('outcomes come from the activities that record them', () => {
    assert.equal(runOutcome('registerCandidate', { status: 'rejected' }, {}), 'rejected_by_gates');
    assert.equal(runOutcome('registerCandidate', { status: 'candidate' }, {}), 'awaiting_approval');
    assert.equal(runOutcome('setVersionStatus', { status: 'approved' }, undefined), 'approved');
    assert.equal(runOutcome('setVersionStatus', { status: 'rejected', reason: 'approval expired' }, undefined), 'expired');
    assert.equal(runOutcome('setVersionStatus', { status: 'rejected', reason: 'bad slices' }, undefined), 'rejected');
    assert.equal(runOutcome('setVersionStatus', { status: 'archived' }, undefined), null);
    assert.equal(runOutcome('promoteToChampion', {}, {}), 'promoted');
    assert.equal(runOutcome('rollbackRouting', {}, {}), 'rolled_back');
    assert.equal(runOutcome('pullData', {}, {}), null);
    const results = [gate('min_performance', 'pass'), gate('slice_non_regression:region=north', 'fail', false), gate('fairness:gender:demographic_parity_difference', 'fail')];
    assert.deepEqual(failedGates('runGates', { results, blockingFailures: ['fairness:gender:demographic_parity_difference'] }).map((g) => gateFamily(g.gate)), ['slice_non_regression', 'fairness']);
    assert.deepEqual(failedGates('checkData', { results }), []);
    assert.equal(modelOf([{ config: { model: 'credit' } }]), 'credit');
    assert.equal(modelOf([{ model: 'fraud', config: { model: 'credit' } }]), 'fraud');
    assert.equal(modelOf([]), undefined);
  });

  test('real registry activities, intercepted: runs by outcome, durations, failures, and model-tagged logs', async () => {
    const metrics = new PipelineMetrics();
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = new PinoTemporalLogger(pino({ level: 'debug' }, sink));
    const activities = createActivities({ paths: ratchetPaths(dir), store });
    const ctx = { actor: 'test', reason: 'metrics test' };
    const newVersion = (runId: string) =>
      store.registerVersion({ model: 'credit', runId, trainer: { kind: 'builtin-logistic', params: {} }, features: FEATURES, threshold: 0.5, snapshot: null, metrics: {}, gates: [], reportPath: null, tags: {} }, trainOnnx(1), ctx);
    const [v1, v2] = [await newVersion('run-1'), await newVersion('run-2')];
    const run = <A extends unknown[], R>(activityType: string, fn: (...args: A) => Promise<R>, ...args: A) =>
      new MockActivityEnvironment({ activityType, workflowExecution: { workflowId: `wf-${activityType}`, runId: 'r1' } }, { interceptors: [activityLoggingInterceptor, metrics.interceptor], logger }).run(fn, ...args);

    await run('setVersionStatus', activities.setVersionStatus, { model: 'credit', version: v1.version, status: 'approved', actor: 'alice', reason: 'ok', workflowId: 'wf' });
    await run('promoteToChampion', activities.promoteToChampion, { model: 'credit', version: v1.version, actor: 'alice', reason: 'approved' });
    await run('setVersionStatus', activities.setVersionStatus, { model: 'credit', version: v2.version, status: 'rejected', actor: 'ratchet', reason: 'approval expired', workflowId: 'wf' });
    await assert.rejects(run('setVersionStatus', activities.setVersionStatus, { model: 'credit', version: 99, status: 'approved', actor: 'alice', reason: 'ok', workflowId: 'wf' }), /99/);

    const runs = (await metrics.runs.get()).values.map((v) => `${v.labels.model}/${v.labels.outcome}=${v.value}`).sort();
    assert.deepEqual(runs, ['credit/approved=1', 'credit/expired=1', 'credit/promoted=1'], 'the failed attempt counts no outcome');
    assert.equal((await store.getRouting('credit')).champion, v1.version, 'the activities really ran');
    const counts = (await metrics.activityDuration.get()).values.filter((v) => v.metricName === 'ratchet_pipeline_activity_duration_seconds_count');
    const count = (type: string, outcome: string) => counts.find((v) => v.labels.activity_type === type && v.labels.outcome === outcome)?.value ?? 0;
    assert.equal(count('setVersionStatus', 'completed'), 2);
    assert.equal(count('setVersionStatus', 'failed'), 1);
    assert.equal(count('promoteToChampion', 'completed'), 1);
    assert.ok((await metrics.activitiesInFlight.get()).values.every((v) => v.value === 0), 'nothing left in flight');

    const failed = lines.find((l) => l.msg === 'Activity failed');
    assert.ok(failed, `no failure logged: ${JSON.stringify(lines)}`);
    assert.equal(failed.model, 'credit');
    assert.equal(failed.workflowId, 'wf-setVersionStatus');
    assert.equal(failed.activityType, 'setVersionStatus');
    assert.equal(failed.level, 40, 'a failure is a warning');
    assert.match(String((failed.err as { message?: string }).message), /99/);
    assert.ok(lines.filter((l) => l.msg === 'Activity completed').every((l) => l.model === 'credit' && l.taskToken === undefined));
  });

  test('/metrics and /healthz', async () => {
    const metrics = new PipelineMetrics();
    let healthy = false;
    const server = await startMetricsServer({ metrics, port: 0, host: '127.0.0.1', healthy: () => healthy });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      metrics.gateFailures.inc({ model: 'credit', gate: 'fairness', blocking: 'true' });
      const text = await (await fetch(`${base}/metrics`)).text();
      assert.match(text, /^ratchet_pipeline_gate_failures_total\{model="credit",gate="fairness",blocking="true"\} 1$/m);
      assert.match(text, /^# TYPE ratchet_pipeline_activity_duration_seconds histogram$/m);
      assert.equal((await fetch(`${base}/healthz`)).status, 503);
      healthy = true;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/nope`)).status, 404);
    } finally {
      await server.close();
    }
  });

  test('settings: ports, grace time and log level are checked before anything starts', () => {
    assert.deepEqual(readSettings({}), { metricsPort: 9464, sdkMetricsPort: 9465, graceMs: 30_000 });
    assert.deepEqual(readSettings({ RATCHET_METRICS_PORT: '9100', RATCHET_SDK_METRICS_PORT: '9101', RATCHET_SHUTDOWN_GRACE: '2m' }), { metricsPort: 9100, sdkMetricsPort: 9101, graceMs: 120_000 });
    assert.equal(readSettings({ RATCHET_SHUTDOWN_GRACE: '2m' }, '5s').graceMs, 5000, 'the flag wins over the variable');
    assert.throws(() => readSettings({ RATCHET_METRICS_PORT: 'http' }), (e: Error) => e instanceof SettingsError && /RATCHET_METRICS_PORT="http" is not a port/.test(e.message));
    assert.throws(() => readSettings({ RATCHET_SDK_METRICS_PORT: '9464' }), /both 9464/);
    assert.throws(() => readSettings({}, 'soon'), /"soon" is not a duration/);
    assert.throws(() => readSettings({ LOG_LEVEL: 'verbose' }), /LOG_LEVEL="verbose" is not a level/);
    assert.equal(coreLogLevel('debug'), 'INFO', "the core's debug lines only with LOG_LEVEL=trace");
    assert.equal(coreLogLevel('trace'), 'TRACE');
  });
});
