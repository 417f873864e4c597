/**
 * Shadow scoring: in shadow mode the champion answers and the candidate scores the same rows off
 * the response path, on a thread of its own (shadow-thread.ts) with its own onnxruntime session and
 * its own prediction-log sink. The serving worker's event loop only queues each row and, once per
 * batch, posts the batch to the thread, about a microsecond per row: the candidate's scoring and
 * logging never compete with the champion's requests for the loop, however slow the candidate.
 *
 * Rows wait in a bounded queue for a short window (default 20 ms, or until 1,024 rows are queued), so
 * the thread gets few, large batches: an onnxruntime call has a fixed cost of tens of microseconds
 * whatever its row count. Nobody waits for a shadow score, so the window costs no one latency.
 * When the queue is full, rows are dropped and counted rather than slowing the champion. A batch
 * travels as columns (scoring/feature-values.ts rowsToTable): numbers in typed arrays handed over
 * without a copy, which halved the loop's share of a shadow row against cloning the rows' objects.
 *
 * Every shadow row is logged with role 'shadow', the request id and time of the request it
 * mirrors, so analysis pairs it with the champion's row; a row the candidate cannot take (it may
 * declare other features) is logged as an error naming why. A shadow row's features are null: its
 * inputs are those of the served row with the same request id, logged once there (a second copy
 * would double the log's size and most of its cost, for nothing). Rows are validated against the
 * candidate's features when queued, unless the caller says they passed an identical validator (the
 * champion's, when both versions take the same features: the usual case).
 *
 * Should the thread die, the rows it held are counted as dropped, and so are the rows it had scored
 * but not yet written (its log's flush window); the next batch starts a new thread, after a pause
 * that doubles with each death in a row (100 ms up to 30 s), so a thread that cannot start (e.g.
 * its log store refuses it) does not restart once per batch. A thread without shadow work for a
 * minute (the promotion left its shadow stage) flushes its log and ends, freeing the candidate's
 * session; rows it then fails to write are counted as dropped, as a dead thread's are. close()
 * scores what is queued, then has the thread flush its log (within CLOSE_TIMEOUT_MS), and rejects
 * if shadow rows were lost.
 */
import type { Worker } from 'node:worker_threads';
import { startTsThread } from '../../core/threads';
import type { LoadedVersion } from './loaded-version';
import type { ServingMetrics } from './metrics';
import { assertWorkerId } from '../../data/prediction-log-format';
import { defaultWorkerId, type ServingLogOptions } from './prediction-log';
import type { FeatureRow } from '../../core/types';
import { rowsToTable } from '../../scoring/feature-values';
import type { FromShadowThread, ShadowBatch, ShadowIds, ToShadowThread } from './shadow-protocol';
import type { PredictRow } from './request-validation';

export interface ShadowOptions {
  /** Rows the queue holds before new ones are dropped. Default 10,000. */
  maxQueuedRows?: number;
  /** How long the first queued row waits for others to join its batch, ms. Default 20. */
  batchWindowMs?: number;
  /** A batch starts at once when this many rows are queued. Default 1024. */
  batchRows?: number;
  /** Where the shadow rows are logged (the thread opens its own sink there); absent: not logged. */
  log?: Omit<ServingLogOptions, 'events'> | null;
  /** Told about what goes wrong in the thread (a failed start, a failed log write, a death). */
  onError?: (message: string) => void;
  /** A thread without shadow work this long (ms) is retired. Default 60 s. */
  idleMs?: number;
}

/** How long close() waits for the thread to flush its log. */
const CLOSE_TIMEOUT_MS = 10_000;
/** A thread without shadow work for this long is retired (see retireIfIdle). */
const IDLE_MS = 60_000;
const RESTART_PAUSE_MS = 100;
const RESTART_PAUSE_MAX_MS = 30_000;

/**
 * The rows queued for one candidate version, gathered as the columns their batch will carry (no
 * object per request). Its first row took one reference on the candidate, held until the thread
 * has scored the batch.
 */
interface Queued {
  model: string;
  candidate: LoadedVersion;
  /** Rows the candidate accepts, with their ids and request times (epoch ms). */
  rows: FeatureRow[];
  requestIds: string[];
  entityIds: (string | null)[];
  at: number[];
  rejected: ShadowBatch['rejected'];
}

interface InFlight {
  model: string;
  candidate: LoadedVersion;
  rows: number;
}

export class ShadowScorer {
  private queue = new Map<LoadedVersion, Queued>();
  private queuedRows = 0;
  private window: NodeJS.Timeout | null = null;
  private thread: Worker | null = null;
  /** Versions the current thread has loaded, by key, and the key loaded per model. */
  private loaded = new Map<string, string>();
  private nextBatch = 0;
  private readonly inFlight = new Map<number, InFlight>();
  /** drain() callers: each waits for the batches in flight when it was called. */
  private waiters: { pending: Set<number>; resolve: () => void }[] = [];
  private closing: Promise<void> | null = null;
  /** Rows the current thread has acknowledged, and those its log has since written (or dropped, counted). */
  private threadRows = { scored: 0, settled: 0 };
  private deaths = 0;
  private restartAt = 0;
  /** Scored shadow rows that a thread took with it unwritten (it died, or failed to flush as it retired). */
  private lostRows = 0;
  private readonly logOptions: Omit<ServingLogOptions, 'events'> | null;
  private idle: NodeJS.Timeout | null = null;
  private readonly idleMs: number;
  private readonly maxQueuedRows: number;
  private readonly batchWindowMs: number;
  private readonly batchRows: number;

  constructor(
    private readonly metrics: ServingMetrics,
    private readonly options: ShadowOptions = {},
  ) {
    this.maxQueuedRows = options.maxQueuedRows ?? 10_000;
    this.batchWindowMs = options.batchWindowMs ?? 20;
    this.batchRows = options.batchRows ?? 1024;
    if (!(this.maxQueuedRows >= 1) || !(this.batchWindowMs >= 0) || !(this.batchRows >= 1)) {
      throw new Error(`shadow scoring: maxQueuedRows (${this.maxQueuedRows}) and batchRows (${this.batchRows}) must be ≥ 1, batchWindowMs (${this.batchWindowMs}) ≥ 0`);
    }
    const log = options.log ?? null;
    // The thread's segments are named after the worker, marked "-shadow"; checked now, not in the thread.
    this.logOptions = log && { ...log, workerId: `${log.workerId ?? defaultWorkerId()}-shadow` };
    if (this.logOptions) assertWorkerId(this.logOptions.workerId!);
    this.idleMs = options.idleMs ?? IDLE_MS;
  }

  /**
   * The candidate stays referenced from now (the caller's view is current in this tick) until the
   * thread has scored the rows: the first row queued for it takes the reference its batch holds.
   * `requestIds[i]` is the id row i is logged under; `at` the request's time (epoch ms);
   * `validated`: the rows already passed a validator identical to the candidate's.
   */
  submit(model: string, candidate: LoadedVersion, rows: PredictRow[], requestIds: string[], at: number, validated = false): void {
    if (this.closing || this.queuedRows + this.inFlightRows() + rows.length > this.maxQueuedRows) {
      this.metrics.shadow.inc({ model, version: String(candidate.version), outcome: 'dropped' }, rows.length);
      return;
    }
    let queued = this.queue.get(candidate);
    if (!queued) {
      candidate.acquire();
      queued = { model, candidate, rows: [], requestIds: [], entityIds: [], at: [], rejected: [] };
      this.queue.set(candidate, queued);
    }
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const invalid = validated ? null : candidate.validate(row.features, row.path);
      if (invalid) queued.rejected.push({ requestId: requestIds[i]!, entityId: row.entityId, at, error: invalid.message });
      else {
        queued.rows.push(row.features as FeatureRow);
        queued.requestIds.push(requestIds[i]!);
        queued.entityIds.push(row.entityId);
        queued.at.push(at);
      }
    }
    this.queuedRows += rows.length;
    if (this.queuedRows >= this.batchRows || this.batchWindowMs === 0) this.startSoon();
    else this.window ??= setTimeout(this.post, this.batchWindowMs);
  }

  /** Resolves once every row queued so far has been scored (or counted as dropped) and handed to the thread's log. */
  drain(): Promise<void> {
    if (this.queue.size > 0) this.post();
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pending: new Set(this.inFlight.keys()), resolve }));
  }

  /** Scores what is queued, then has the thread flush and close its log. Rejects if shadow rows were lost. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      if (this.idle) clearTimeout(this.idle);
      await this.drain();
      const error = this.thread ? await this.retire(this.thread) : null;
      if (error) throw new Error(`shadow prediction log: ${error}`);
      if (this.lostRows > 0) throw new Error(`shadow prediction log: ${this.lostRows} scored shadow row(s) were lost with a shadow thread that ended before writing them`);
    })());
  }

  /** Has `thread` flush its log and end; resolves with what went wrong, if anything. */
  private async retire(thread: Worker): Promise<string | null> {
    if (this.thread === thread) this.thread = null; // from here on its exit is expected
    this.loaded.clear();
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<string | null>((resolve) => {
      thread.on('message', (m: FromShadowThread) => m.type === 'closed' && resolve(m.error));
      thread.once('exit', () => resolve('the shadow thread ended before its log was flushed'));
      timer = setTimeout(() => resolve(`the shadow thread did not flush its log within ${CLOSE_TIMEOUT_MS} ms`), CLOSE_TIMEOUT_MS);
    });
    thread.postMessage({ type: 'close' } satisfies ToShadowThread);
    const error = await closed;
    clearTimeout(timer);
    await thread.terminate();
    return error;
  }

  /**
   * Shadow traffic has stopped for IDLE_MS (the promotion left its shadow stage, say): retire the
   * thread, which frees the candidate's session; the next shadow row starts a new one.
   */
  private readonly retireIfIdle = (): void => {
    this.idle = null;
    const thread = this.thread;
    if (!thread || this.closing) return;
    if (this.inFlight.size > 0 || this.queue.size > 0) {
      this.idle = setTimeout(this.retireIfIdle, this.idleMs).unref();
      return;
    }
    void this.retire(thread).then((error) => {
      if (error) {
        const lost = this.loseUnwrittenRows();
        this.options.onError?.(`idle shadow thread: ${error}; ${lost} scored row(s) not written`);
      }
    });
  };

  /**
   * The thread went away (died, or failed to flush as it retired) with the rows it had scored but
   * not yet written (nor counted as dropped): they are lost from the log, and counted so, in the
   * dropped-rows metric and in what close() reports. Returns how many.
   */
  private loseUnwrittenRows(): number {
    const unwritten = this.logOptions ? Math.max(0, this.threadRows.scored - this.threadRows.settled) : 0;
    if (unwritten > 0) {
      this.lostRows += unwritten;
      this.metrics.logRows.inc({ stream: 'predictions', outcome: 'dropped' }, unwritten);
    }
    return unwritten;
  }

  private inFlightRows(): number {
    let rows = 0;
    for (const batch of this.inFlight.values()) rows += batch.rows;
    return rows;
  }

  private startSoon(): void {
    if (this.window) clearTimeout(this.window);
    this.window = null;
    // After the current turn: let the request that filled the batch send its response first.
    setImmediate(this.post);
  }

  /** Posts what is queued to the thread, one batch per candidate. */
  private readonly post = (): void => {
    if (this.window) clearTimeout(this.window);
    this.window = null;
    if (this.queue.size === 0) return;
    const groups = [...this.queue.values()];
    this.queue = new Map();
    this.queuedRows = 0;
    if (!this.thread && Date.now() < this.restartAt) {
      // The last thread died moments ago: drop rather than start threads in a loop.
      for (const { model, candidate, rows, rejected } of groups) {
        this.metrics.shadow.inc({ model, version: String(candidate.version), outcome: 'dropped' }, rows.length + rejected.length);
        candidate.release();
      }
      return;
    }
    for (const group of groups) {
      const { model, candidate } = group;
      const key = this.ensureLoaded(model, candidate);
      const batch = this.nextBatch++;
      const content = columnar(group);
      const rows = content.ids.requestId.length + content.rejected.length;
      this.inFlight.set(batch, { model, candidate, rows }); // finish() releases the group's reference
      this.metrics.shadowBatchRows.observe({ model }, rows);
      const columns = [content.ids.at, ...Object.values(content.table.columns)];
      const transfer = columns.flatMap((c) => (c instanceof Float64Array ? [c.buffer as ArrayBuffer] : []));
      this.send({ type: 'score', batch, key, ...content }, transfer);
      if (this.idle) clearTimeout(this.idle);
      this.idle = setTimeout(this.retireIfIdle, this.idleMs).unref();
    }
  };

  /** The thread's key for `candidate`, sending its artifact first if the thread has not loaded it. */
  private ensureLoaded(model: string, candidate: LoadedVersion): string {
    const key = `${model}@${candidate.version}`;
    if (this.loaded.get(model) !== key) {
      const previous = this.loaded.get(model);
      if (previous) this.send({ type: 'forget', key: previous });
      const { features, threshold } = candidate.record;
      this.send({ type: 'load', key, model, version: candidate.version, features, threshold, artifact: candidate.artifact });
      this.loaded.set(model, key);
    }
    return key;
  }

  private send(message: ToShadowThread, transfer: ArrayBuffer[] = []): void {
    (this.thread ??= this.startThread()).postMessage(message, transfer);
  }

  private startThread(): Worker {
    const thread = startTsThread(new URL('./shadow-thread.ts', import.meta.url), { log: this.logOptions });
    this.threadRows = { scored: 0, settled: 0 };
    thread.on('message', (message: FromShadowThread) => this.receive(message));
    thread.on('error', (error) => this.options.onError?.(`shadow thread failed: ${error.message}`)); // 'exit' follows
    thread.once('exit', (code) => {
      if (this.thread !== thread) return; // closed on purpose
      this.thread = null;
      this.loaded.clear();
      this.deaths++;
      this.restartAt = Date.now() + Math.min(RESTART_PAUSE_MS * 2 ** (this.deaths - 1), RESTART_PAUSE_MAX_MS);
      // Scored but unwritten rows died with it (the shadow metric counted them scored).
      const unwritten = this.loseUnwrittenRows();
      let held = 0;
      for (const [batch, { model, candidate, rows }] of this.inFlight) {
        this.metrics.shadow.inc({ model, version: String(candidate.version), outcome: 'dropped' }, rows);
        held += rows;
        this.finish(batch);
      }
      this.options.onError?.(`shadow thread exited (code ${code}): ${held} queued shadow row(s) dropped, ${unwritten} scored row(s) not written; a new thread starts with the next batch`);
    });
    return thread;
  }

  private receive(message: FromShadowThread): void {
    if (message.type === 'scored') {
      const batch = this.inFlight.get(message.batch);
      if (!batch) return;
      const labels = { model: batch.model, version: String(batch.candidate.version) };
      if (message.scored > 0) this.metrics.shadow.inc({ ...labels, outcome: 'scored' }, message.scored);
      if (message.invalid > 0) this.metrics.shadow.inc({ ...labels, outcome: 'invalid' }, message.invalid);
      if (message.errors > 0) this.metrics.shadow.inc({ ...labels, outcome: 'error' }, message.errors);
      this.threadRows.scored += message.scored + message.invalid + message.errors;
      this.deaths = 0;
      this.finish(message.batch);
    } else if (message.type === 'log') {
      if (message.event === 'failed') {
        this.metrics.logFlushFailures.inc({ stream: 'predictions' });
        this.options.onError?.(`shadow prediction log write failed; the rows stay buffered and are retried: ${message.error}`);
      } else {
        this.metrics.logRows.inc({ stream: 'predictions', outcome: message.event }, message.rows);
        this.threadRows.settled += message.rows; // written, or dropped and counted as such
      }
    } else if (message.type === 'failed') {
      this.options.onError?.(`shadow thread could not start: ${message.error}`);
    }
  }

  private finish(batch: number): void {
    this.inFlight.get(batch)?.candidate.release();
    this.inFlight.delete(batch);
    this.waiters = this.waiters.filter((waiter) => {
      waiter.pending.delete(batch);
      if (waiter.pending.size > 0) return true;
      waiter.resolve();
      return false;
    });
  }
}

/**
 * A candidate's queued rows as one batch over its features. A row whose value the model cannot
 * take (possible only for rows vouched for by the caller) is rejected with the reason, alone.
 */
function columnar(queued: Queued): ShadowBatch {
  const { features } = queued.candidate.record;
  const { rows, rejected } = queued;
  const ids: ShadowIds = { requestId: queued.requestIds, entityId: queued.entityIds, at: Float64Array.from(queued.at) };
  try {
    return { ids, table: rowsToTable(rows, features), rejected };
  } catch {
    const keep = rows.map((row, i) => {
      try {
        rowsToTable([row], features);
        return true;
      } catch (error) {
        rejected.push({ requestId: ids.requestId[i]!, entityId: ids.entityId[i]!, at: ids.at[i]!, error: (error as Error).message });
        return false;
      }
    });
    const kept: ShadowIds = { requestId: ids.requestId.filter((_, i) => keep[i]), entityId: ids.entityId.filter((_, i) => keep[i]), at: ids.at.filter((_, i) => keep[i]) };
    return { ids: kept, table: rowsToTable(rows.filter((_, i) => keep[i]), features), rejected };
  }
}
