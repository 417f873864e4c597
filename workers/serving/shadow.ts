/**
 * Shadow scoring: in shadow mode the champion answers and the candidate scores the same rows off
 * the response path. Jobs wait in a bounded queue for a short window (default 5 ms, or until
 * 256 rows are queued); all jobs queued for one candidate by then are scored in one onnxruntime
 * call (a shadow batch). Nobody waits for a shadow score, so the window costs no one latency,
 * while a large batch makes the candidate's share of the CPU small: an onnxruntime call has a fixed
 * cost of tens of microseconds, about the price of a whole request, whatever its row count.
 * When the queue is full, rows are dropped and counted rather than slowing the champion.
 *
 * Rows are validated against the candidate's features unless the caller says they were already
 * validated against an identical feature list (the champion's, usually).
 *
 * Every shadow row is logged with role 'shadow', the request id and time of the request it
 * mirrors, so analysis pairs it with the champion's row; a row the candidate cannot take (it may
 * declare other features) is logged as an error naming why. A shadow row's features are null: its
 * inputs are those of the served row with the same request id, logged once there (a second copy
 * would double the log's size and most of its cost, for nothing).
 */
import type { FeatureRow } from '../../core/types';
import type { PredictionRecord } from '../../data/prediction-log-format';
import type { LoadedVersion } from './loaded-version';
import { failedRecord, scoredRecord, type RowIdentity } from './log-records';
import type { ServingMetrics } from './metrics';
import type { PredictionSink } from './prediction-log';
import type { PredictRow } from './request-validation';

interface ShadowJob {
  model: string;
  candidate: LoadedVersion;
  rows: PredictRow[];
  requestIds: string[];
  at: number;
  /** The rows passed a validator identical to the candidate's: no need to validate them again. */
  validated: boolean;
}

export interface ShadowOptions {
  /** Rows the queue holds before new ones are dropped. Default 10,000. */
  maxQueuedRows?: number;
  /** How long the first queued row waits for others to join its batch, ms. Default 5. */
  batchWindowMs?: number;
  /** A batch starts at once when this many rows are queued. Default 256. */
  batchRows?: number;
}

export class ShadowScorer {
  private queue: ShadowJob[] = [];
  private queuedRows = 0;
  private running = false;
  private window: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];
  private readonly maxQueuedRows: number;
  private readonly batchWindowMs: number;
  private readonly batchRows: number;

  constructor(
    private readonly metrics: ServingMetrics,
    options: ShadowOptions = {},
    private readonly log: PredictionSink | null = null,
  ) {
    this.maxQueuedRows = options.maxQueuedRows ?? 10_000;
    this.batchWindowMs = options.batchWindowMs ?? 5;
    this.batchRows = options.batchRows ?? 256;
    if (!(this.maxQueuedRows >= 1) || !(this.batchWindowMs >= 0) || !(this.batchRows >= 1)) {
      throw new Error(`shadow scoring: maxQueuedRows (${this.maxQueuedRows}) and batchRows (${this.batchRows}) must be ≥ 1, batchWindowMs (${this.batchWindowMs}) ≥ 0`);
    }
  }

  /**
   * Takes a reference on the candidate now (the caller's view is current in this tick).
   * `requestIds[i]` is the id row i is logged under; `at` the request's time (epoch ms);
   * `validated`: the rows already passed a validator identical to the candidate's.
   */
  submit(model: string, candidate: LoadedVersion, rows: PredictRow[], requestIds: string[], at: number, validated = false): void {
    if (this.queuedRows + rows.length > this.maxQueuedRows) {
      this.metrics.shadow.inc({ model, version: String(candidate.version), outcome: 'dropped' }, rows.length);
      return;
    }
    candidate.acquire();
    this.queue.push({ model, candidate, rows, requestIds, at, validated });
    this.queuedRows += rows.length;
    if (this.running) return;
    if (this.queuedRows >= this.batchRows || this.batchWindowMs === 0) this.start();
    else this.window ??= setTimeout(this.start, this.batchWindowMs);
  }

  /** Resolves once every queued job has run (a waiting batch starts now). */
  drain(): Promise<void> {
    if (this.window) this.start();
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private readonly start = (): void => {
    if (this.window) clearTimeout(this.window);
    this.window = null;
    if (this.running) return;
    this.running = true;
    void this.run();
  };

  /** Scores what is queued now; rows queued meanwhile wait for a window of their own (see submit). */
  private async run(): Promise<void> {
    // Let the request that queued the last rows send its response before the candidate runs.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const jobs = this.queue;
    this.queue = [];
    for (const job of jobs) this.queuedRows -= job.rows.length;
    for (const group of byCandidate(jobs)) await this.score(group);
    this.running = false;
    if (this.queue.length === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    } else if (this.queuedRows >= this.batchRows || this.batchWindowMs === 0 || this.idleWaiters.length > 0) {
      this.start();
    } else {
      this.window ??= setTimeout(this.start, this.batchWindowMs);
    }
  }

  /** Scores the jobs of one candidate, logs the rows, then releases each job's reference. */
  private async score(jobs: ShadowJob[]): Promise<void> {
    const { model, candidate } = jobs[0];
    const version = String(candidate.version);
    try {
      const { records, invalid } = await scoreJobs(jobs);
      const scored = records.filter((r) => r.status === 'ok').length;
      if (invalid > 0) this.metrics.shadow.inc({ model, version, outcome: 'invalid' }, invalid);
      if (scored > 0) this.metrics.shadow.inc({ model, version, outcome: 'scored' }, scored);
      if (records.length - scored - invalid > 0) this.metrics.shadow.inc({ model, version, outcome: 'error' }, records.length - scored - invalid);
      this.log?.append(records);
    } finally {
      for (const job of jobs) job.candidate.release();
    }
  }
}

/**
 * One call for every row the candidate accepts. Should it fail, each job is scored on its own, so
 * a row the model refuses fails only its own request's shadow rows.
 */
async function scoreJobs(jobs: ShadowJob[]): Promise<{ records: PredictionRecord[]; invalid: number }> {
  const { model, candidate } = jobs[0];
  const records: PredictionRecord[] = [];
  const valid: { id: RowIdentity; features: FeatureRow }[] = [];
  for (const job of jobs) {
    job.rows.forEach((row, i) => {
      const id: RowIdentity = { requestId: job.requestIds[i], entityId: row.entityId, model, version: candidate.version, role: 'shadow', features: null, at: job.at };
      const invalid = job.validated ? null : candidate.validate(row.features, row.path);
      if (invalid) records.push(failedRecord(id, `not valid for the candidate: ${invalid.message}`, 0));
      else valid.push({ id, features: row.features as FeatureRow });
    });
  }
  const invalid = records.length;
  if (valid.length === 0) return { records, invalid };
  const started = performance.now();
  try {
    const scores = await candidate.score(valid.map((v) => v.features));
    const ms = performance.now() - started;
    valid.forEach((v, i) => records.push(scoredRecord(v.id, scores[i], candidate.threshold, ms)));
    return { records, invalid };
  } catch (error) {
    if (jobs.length > 1) {
      const parts = await Promise.all(jobs.map((job) => scoreJobs([job])));
      return { records: parts.flatMap((p) => p.records), invalid: parts.reduce((n, p) => n + p.invalid, 0) };
    }
    const ms = performance.now() - started;
    for (const v of valid) records.push(failedRecord(v.id, error, ms));
    return { records, invalid };
  }
}

function byCandidate(jobs: ShadowJob[]): ShadowJob[][] {
  const groups = new Map<LoadedVersion, ShadowJob[]>();
  for (const job of jobs) {
    const group = groups.get(job.candidate);
    if (group) group.push(job);
    else groups.set(job.candidate, [job]);
  }
  return [...groups.values()];
}
