/**
 * Shadow scoring: in shadow mode the champion answers and the candidate scores the same rows off
 * the response path. Jobs wait in a bounded queue and run one at a time after the current I/O
 * turn; when the queue is full, rows are dropped and counted rather than slowing the champion.
 * What the candidate scored is only counted for now; logging shadow predictions comes later.
 */
import type { FeatureRow } from '../../core/types';
import type { LoadedVersion } from './loaded-version';
import type { ServingMetrics } from './metrics';
import type { PredictRow } from './request-validation';

interface ShadowJob {
  model: string;
  candidate: LoadedVersion;
  rows: PredictRow[];
}

export class ShadowScorer {
  private readonly queue: ShadowJob[] = [];
  private queuedRows = 0;
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly metrics: ServingMetrics,
    private readonly maxQueuedRows = 10_000,
  ) {}

  /** Takes a reference on the candidate now (the caller's view is current in this tick). */
  submit(model: string, candidate: LoadedVersion, rows: PredictRow[]): void {
    const version = String(candidate.version);
    if (this.queuedRows + rows.length > this.maxQueuedRows) {
      this.metrics.shadow.inc({ model, version, outcome: 'dropped' }, rows.length);
      return;
    }
    candidate.acquire();
    this.queue.push({ model, candidate, rows });
    this.queuedRows += rows.length;
    if (!this.running) {
      this.running = true;
      setImmediate(() => void this.run());
    }
  }

  /** Resolves once every queued job has run. */
  drain(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      this.queuedRows -= job.rows.length;
      await this.score(job);
    }
    this.running = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async score({ model, candidate, rows }: ShadowJob): Promise<void> {
    const version = String(candidate.version);
    try {
      // The candidate may declare other features than the champion the request was checked against.
      const valid = rows.filter((row) => candidate.validate(row.features, row.path) === null);
      if (valid.length < rows.length) this.metrics.shadow.inc({ model, version, outcome: 'invalid' }, rows.length - valid.length);
      if (valid.length === 0) return;
      await candidate.score(valid.map((row) => row.features as FeatureRow));
      this.metrics.shadow.inc({ model, version, outcome: 'scored' }, valid.length);
    } catch {
      this.metrics.shadow.inc({ model, version, outcome: 'error' }, rows.length);
    } finally {
      candidate.release();
    }
  }
}
