/**
 * Prometheus metrics of the pipeline worker, on a registry of its own (not prom-client's global
 * one), served over plain HTTP at /metrics beside a /healthz that reports the worker's state.
 *
 * Everything is measured from the worker's side of the activity boundary, by an activity
 * interceptor: workflow code stays untouched and deterministic. Runs are counted when the activity
 * that records their outcome completes (registerCandidate, setVersionStatus, promoteToChampion,
 * rollbackRouting), gate failures from runGates' results, monitor alerts from raiseAlert. Each
 * worker counts what it executed; sum over workers in Prometheus. A retried activity that had
 * already succeeded (its completion lost in transit) counts again: rare, and the registry's audit
 * log stays the exact record.
 *
 * The Temporal SDK's own metrics (task latencies, poller and slot counts, sticky cache) are served
 * by the SDK's Rust core on a second port; see main.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptors } from '@temporalio/worker';
import type { Context } from '@temporalio/activity';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GateResult } from '../../core/types';
import { modelOf } from '../logging';

export type RunOutcome = 'rejected_by_gates' | 'awaiting_approval' | 'approved' | 'rejected' | 'expired' | 'promoted' | 'rolled_back';

export class PipelineMetrics {
  readonly registry = new Registry();

  readonly runs = new Counter({
    name: 'ratchet_pipeline_runs_total',
    help: 'Retraining runs and promotions by model and outcome (rejected_by_gates, awaiting_approval, approved, rejected, expired, promoted, rolled_back), counted when the activity recording the outcome completes',
    labelNames: ['model', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly gateFailures = new Counter({
    name: 'ratchet_pipeline_gate_failures_total',
    help: 'Gates that failed, by model, gate (slice and column suffixes dropped) and whether the gate blocks',
    labelNames: ['model', 'gate', 'blocking'] as const,
    registers: [this.registry],
  });

  readonly alerts = new Counter({
    name: 'ratchet_pipeline_monitor_alerts_total',
    help: "Alerts the model monitor raised (notification and audit record), by model and level",
    labelNames: ['model', 'level'] as const,
    registers: [this.registry],
  });

  readonly activityDuration = new Histogram({
    name: 'ratchet_pipeline_activity_duration_seconds',
    help: 'Activity execution time on this worker by activity type and outcome (completed, failed, cancelled); one observation per attempt',
    labelNames: ['activity_type', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600],
    registers: [this.registry],
  });

  readonly activitiesInFlight = new Gauge({
    name: 'ratchet_pipeline_activities_in_flight',
    help: 'Activities executing on this worker now, by type: one stuck high while nothing completes is a hung activity',
    labelNames: ['activity_type'] as const,
    registers: [this.registry],
  });

  readonly workerRunning = new Gauge({
    name: 'ratchet_pipeline_worker_running',
    help: '1 while the worker polls its task queue, 0 while it starts or drains',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ratchet_pipeline_' });
  }

  /** The activity interceptor factory to pass to the worker: durations, in-flight counts, outcomes. */
  readonly interceptor = (ctx: Context): ActivityInterceptors => ({
    inbound: {
      execute: async (input, next) => {
        const type = ctx.info.activityType;
        const stop = this.activityDuration.startTimer({ activity_type: type });
        this.activitiesInFlight.inc({ activity_type: type });
        try {
          const result = await next(input);
          stop({ outcome: 'completed' });
          this.record(type, input.args, result);
          return result;
        } catch (err) {
          stop({ outcome: err instanceof CancelledFailure || ctx.cancellationSignal.aborted ? 'cancelled' : 'failed' });
          throw err;
        } finally {
          this.activitiesInFlight.dec({ activity_type: type });
        }
      },
    },
  });

  private record(activityType: string, args: readonly unknown[], result: unknown): void {
    const model = modelOf(args) ?? 'unknown';
    const outcome = runOutcome(activityType, args[0], result);
    if (outcome) this.runs.inc({ model, outcome });
    if (activityType === 'raiseAlert') this.alerts.inc({ model, level: String((args[0] as { level?: unknown } | undefined)?.level ?? 'unknown') });
    for (const gate of failedGates(activityType, result)) {
      this.gateFailures.inc({ model, gate: gateFamily(gate.gate), blocking: String(gate.blocking) });
    }
  }
}

/**
 * Which outcome, if any, a completed activity records. Pure, so it is tested without a worker.
 * The expiry is told apart from a rejection by the reason the retrain workflow writes.
 */
export function runOutcome(activityType: string, input: unknown, _result: unknown): RunOutcome | null {
  const fields = (input ?? {}) as { status?: unknown; reason?: unknown };
  switch (activityType) {
    case 'registerCandidate':
      return fields.status === 'rejected' ? 'rejected_by_gates' : 'awaiting_approval';
    case 'setVersionStatus':
      if (fields.status === 'approved') return 'approved';
      if (fields.status === 'rejected') return fields.reason === 'approval expired' ? 'expired' : 'rejected';
      return null;
    case 'promoteToChampion':
      return 'promoted';
    case 'rollbackRouting':
      return 'rolled_back';
    default:
      return null;
  }
}

export function failedGates(activityType: string, result: unknown): GateResult[] {
  if (activityType !== 'runGates') return [];
  const results = (result as { results?: GateResult[] } | null)?.results;
  return Array.isArray(results) ? results.filter((g) => g.verdict === 'fail') : [];
}

/** "slice_non_regression:region=north" → "slice_non_regression": label values must stay few. */
export function gateFamily(gate: string): string {
  return gate.split(':')[0]!;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * /metrics for Prometheus; /healthz answers 200 while `healthy()` holds, else 503, for container
 * health checks and load balancers.
 */
export async function startMetricsServer(options: { metrics: PipelineMetrics; port: number; host?: string; healthy: () => boolean }): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const url = request.url?.split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url === '/metrics') {
      options.metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': options.metrics.registry.contentType }).end(text),
        (err: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
    } else if (url === '/healthz') {
      const ok = options.healthy();
      response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not running\n');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Prometheus keeps connections alive between scrapes; they must not hold the process open.
        server.closeIdleConnections();
      }),
  };
}
