/**
 * The serving worker's Prometheus metrics, on a registry of its own (not prom-client's global
 * one) so several workers in one process — tests — do not collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ShadowOutcome = 'scored' | 'dropped' | 'invalid' | 'error';

export class ServingMetrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'ratchet_serving_requests_total',
    help: 'Predict requests by model, served version, role and HTTP status (a batch spanning several versions counts as version "mixed")',
    labelNames: ['model', 'version', 'role', 'status'] as const,
    registers: [this.registry],
  });

  readonly predictions = new Counter({
    name: 'ratchet_serving_predictions_total',
    help: 'Rows scored on the response path, by model, version and role',
    labelNames: ['model', 'version', 'role'] as const,
    registers: [this.registry],
  });

  readonly latency = new Histogram({
    name: 'ratchet_serving_request_duration_seconds',
    help: 'Predict request duration from arrival to response, by model and kind (single, batch, or rejected before scoring)',
    labelNames: ['model', 'kind'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly loadFailures = new Counter({
    name: 'ratchet_serving_model_load_failures_total',
    help: 'Versions the worker refused to serve because the artifact failed its integrity check or did not load',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });

  readonly routingRevision = new Gauge({
    name: 'ratchet_serving_routing_revision',
    help: 'Routing revision the worker has applied, per model',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  readonly servedVersion = new Gauge({
    name: 'ratchet_serving_loaded_version',
    help: 'Version loaded per model and role (absent when the role is empty)',
    labelNames: ['model', 'role'] as const,
    registers: [this.registry],
  });

  readonly shadow = new Counter({
    name: 'ratchet_serving_shadow_rows_total',
    help: 'Rows handed to the shadow candidate, by outcome: scored, dropped (queue full), invalid (not valid for the candidate), error',
    labelNames: ['model', 'version', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly logRows = new Counter({
    name: 'ratchet_serving_log_rows_total',
    help: 'Prediction-log rows by stream (predictions, feedback) and outcome: written to the store, or dropped (buffer full while the store failed)',
    labelNames: ['stream', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly logFlushFailures = new Counter({
    name: 'ratchet_serving_log_flush_failures_total',
    help: 'Prediction-log writes that failed and will be retried (the rows stay buffered)',
    labelNames: ['stream'] as const,
    registers: [this.registry],
  });

  readonly batchRows = new Histogram({
    name: 'ratchet_serving_microbatch_rows',
    help: 'Rows per onnxruntime call made by the micro-batcher for single-row requests',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });

  readonly shadowBatchRows = new Histogram({
    name: 'ratchet_serving_shadow_batch_rows',
    help: 'Rows per batch sent to the shadow thread (one onnxruntime call of the candidate each)',
    labelNames: ['model'] as const,
    buckets: [1, 4, 16, 64, 256, 1024],
    registers: [this.registry],
  });

  /** Row counters for one log stream, in the shape the log's sinks report to. */
  logEvents(stream: string) {
    return {
      written: (rows: number) => this.logRows.inc({ stream, outcome: 'written' }, rows),
      dropped: (rows: number) => this.logRows.inc({ stream, outcome: 'dropped' }, rows),
    };
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ratchet_serving_' });
  }
}
