/**
 * `ratchet worker` as a process against a real Temporal server: it serves its own metrics and the
 * SDK's, logs JSON lines that carry workflow id, activity type and model, and on SIGTERM lets the
 * activity in flight finish before it exits 0 within the grace time.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PIPELINE_TASK_QUEUE } from '../../workflows/definitions';
import type { retrain } from '../../workflows/retrain';
import { BIN, ROOT } from '../helpers/cli';
import { demoConfigYaml, demoWorkspace, SMALL_DEMO, type DemoWorkspace } from '../helpers/fixtures';
import { connectTestServer, type TemporalTestServer } from '../helpers/temporal';

/** Generous, so a loaded machine finishes the training in time; a clean exit takes a few seconds. */
const GRACE_MS = 60_000;
/**
 * The activity to catch in flight: training with the scikit-learn example trainer, a child process
 * that stops when the activity is cancelled, so a worker that did not wait for it would be seen
 * failing it (the built-in activities run to the end either way and could not tell).
 */
const CAUGHT = 'trainCandidate';
const BUILTIN_TRAINER = 'trainer: { kind: builtin-logistic }\n';
const TRAINER = `
trainer: { kind: external, command: [python3, ${JSON.stringify(path.join(ROOT, 'examples/sklearn-trainer/train.py'))}], timeout: 10m }
approval: { approvers: [alice, bob] }
gates: { min_performance: { metric: auc, min: 0.5 } }
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function scrape(port: number, path = '/metrics'): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, text: await response.text() };
}

/** The samples of one metric in Prometheus text: label set as printed, and value. */
function samples(text: string, name: string): { labels: string; value: number }[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => {
      const match = /^[^{ ]+(\{[^}]*\})? (\S+)$/.exec(l)!;
      return { labels: match[1] ?? '', value: Number(match[2]) };
    });
}

describe('ratchet worker (process)', () => {
  let server: TemporalTestServer;
  let ws: DemoWorkspace;
  let child: ChildProcess;
  let run: { terminate(reason: string): Promise<unknown> } | undefined;
  const lines: Record<string, unknown>[] = [];
  let stderr = '';

  before(async () => {
    [server, ws] = await Promise.all([connectTestServer(), demoWorkspace()]);
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // The run must not linger on the shared server's pipeline queue for the next worker to pick up.
    await run?.terminate('test over').catch(() => {});
    await server?.close();
    await ws?.cleanup();
  });

  test('metrics on both ports, model-tagged activity logs, and a drained exit 0 on SIGTERM', async () => {
    const [metricsPort, sdkPort] = [await freePort(), await freePort()];
    child = spawn(process.execPath, [BIN, 'worker', '--shutdown-grace', `${GRACE_MS / 1000}s`], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: server.address,
        RATCHET_HOME: ws.paths.home,
        RATCHET_REGISTRY: '',
        RATCHET_METRICS_PORT: String(metricsPort),
        RATCHET_SDK_METRICS_PORT: String(sdkPort),
        LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const part of parts) {
        if (!part.trim()) continue;
        // Every stdout line must be one JSON object: log shippers take them as they are.
        lines.push(JSON.parse(part) as Record<string, unknown>);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

    // Healthy once the worker polls (bundling the workflows takes a few seconds first).
    const deadline = Date.now() + 90_000;
    for (;;) {
      const health = await scrape(metricsPort, '/healthz').catch(() => null);
      if (health?.status === 200) break;
      assert.ok(child.exitCode === null, `the worker exited early: ${stderr}`);
      assert.ok(Date.now() < deadline, 'the worker did not become healthy within 90 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    const own = await scrape(metricsPort);
    assert.deepEqual(samples(own.text, 'ratchet_pipeline_worker_running'), [{ labels: '', value: 1 }]);
    const sdk = await scrape(sdkPort);
    assert.equal(sdk.status, 200);
    assert.ok(
      samples(sdk.text, 'temporal_num_pollers').some((s) => s.labels.includes(`task_queue="${PIPELINE_TASK_QUEUE}"`) && s.value > 0),
      `the SDK's metrics show no pollers on ${PIPELINE_TASK_QUEUE}:\n${sdk.text.slice(0, 2000)}`,
    );

    // A real run, so the worker has real activities in flight when it is told to stop.
    const config = path.join(ws.dir, 'worker-it.yaml');
    const demo = demoConfigYaml(ws.dataDir);
    assert.ok(demo.includes(BUILTIN_TRAINER));
    await writeFile(config, demo.replace(BUILTIN_TRAINER, '') + TRAINER);
    const workflowId = `cli-worker-it-${Date.now()}`;
    const asOf = new Date(Date.parse(`${SMALL_DEMO.start}T00:00:00Z`) + 7 * 7 * 86_400_000).toISOString();
    run = await server.client.workflow.start<typeof retrain>('retrain', {
      workflowId,
      taskQueue: PIPELINE_TASK_QUEUE,
      args: [{ model: 'credit', configPath: config, initiator: 'carol', asOf }],
    });

    let beforeStop = '';
    const runDeadline = Date.now() + 120_000;
    for (;;) {
      beforeStop = (await scrape(metricsPort)).text;
      if (samples(beforeStop, 'ratchet_pipeline_activities_in_flight').some((s) => s.labels.includes(`activity_type="${CAUGHT}"`) && s.value > 0)) break;
      assert.ok(Date.now() < runDeadline, `${CAUGHT} was never in flight; metrics:\n${beforeStop}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const loadConfig = samples(beforeStop, 'ratchet_pipeline_activity_duration_seconds_count').find((s) => s.labels.includes('activity_type="loadConfig"'));
    assert.ok(loadConfig && loadConfig.value >= 1 && loadConfig.labels.includes('outcome="completed"'), 'the first activity (loadConfig) is counted as completed');

    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    const exit = await exited;
    assert.equal(exit.signal, null, `killed by ${exit.signal}; stderr: ${stderr}`);
    assert.equal(exit.code, 0, `exit code ${exit.code}; stderr: ${stderr}`);
    assert.ok(exit.at - stoppedAt < GRACE_MS, `exited ${exit.at - stoppedAt} ms after SIGTERM, beyond the ${GRACE_MS} ms grace`);

    // The activity caught in flight finished after the stop: drained, not dropped.
    const stopping = lines.findIndex((l) => typeof l.msg === 'string' && l.msg.startsWith('stopping'));
    assert.ok(stopping >= 0, 'the worker logs that it is stopping');
    const finished = lines.slice(stopping).find((l) => l.activityType === CAUGHT && l.workflowId === workflowId && /^Activity (completed|failed)/.test(String(l.msg)));
    assert.ok(finished, `no end of ${CAUGHT} logged after the stop; log tail: ${JSON.stringify(lines.slice(-5))}`);
    assert.equal(finished.msg, 'Activity completed', `the in-flight ${CAUGHT} did not complete: ${JSON.stringify(finished)}`);
    assert.equal(finished.model, 'credit', 'activity log lines carry the model');
    assert.equal(typeof finished.durationMs, 'number');
    assert.equal(finished.taskToken, undefined, 'the task token is kept out of the logs');
    assert.ok(lines.some((l) => l.sdkComponent === 'core'), 'the SDK core logs arrive as JSON through the same logger');

  });
});
