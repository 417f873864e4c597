/**
 * The serving worker's prediction and feedback log, kept off the response path: a request only
 * appends its record to an in-memory buffer (no I/O, no serialisation); a timer flushes the buffer
 * every `flushIntervalMs` (or as soon as it holds `maxRows`) to the store — rotated Parquet
 * segments by default (data/prediction-log-parquet.ts), or PostgreSQL.
 *
 * Durability: a record is in the buffer before its response is sent. A clean stop (close) flushes
 * everything buffered before it returns. A hard kill loses what arrived since the last completed
 * flush: at most one flush window (flushIntervalMs plus the time one write takes).
 *
 * A store that fails (disk full, database down) does not fail requests: rows stay buffered and are
 * retried on the next tick; past `maxBufferedRows` new rows are dropped and counted
 * (ratchet_serving_log_rows_total{outcome="dropped"}), so memory stays bounded.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { ParquetLogWriter } from '../../data/prediction-log-parquet';
import { PgLogStore } from '../../data/prediction-log-pg';
import {
  assertWorkerId,
  describeLocation,
  type FeedbackRecord,
  type LogLocation,
  type LogStream,
  type PredictionRecord,
} from '../../data/prediction-log-format';
import { ensureDirDurable } from '../../registry/atomic-file';

/** Where records go: append is synchronous and cheap; flush and close do the I/O. */
export interface LogSink<R> {
  /** false when the rows were dropped (closed, or the buffer is full because the store keeps failing). */
  append(rows: readonly R[]): boolean;
  flush(): Promise<void>;
  close(): Promise<void>;
}
export type PredictionSink = LogSink<PredictionRecord>;
export type FeedbackSink = LogSink<FeedbackRecord>;

export interface LogSinkEvents {
  written?(rows: number): void;
  dropped?(rows: number): void;
  failed?(error: Error, rows: number): void;
}

export interface BufferedSinkOptions<R> extends LogSinkEvents {
  /** Writes one batch durably; called one batch at a time, in order. */
  write(rows: R[]): Promise<void>;
  /** Default 1000 ms. */
  flushIntervalMs?: number;
  /** Rows per write, and the buffer size that triggers a flush before the timer. Default 5000. */
  maxRows?: number;
  /** Rows held while the store fails; beyond this, new rows are dropped. Default 100 × maxRows. */
  maxBufferedRows?: number;
}

export class BufferedSink<R> implements LogSink<R> {
  private buffer: R[] = [];
  private readonly maxRows: number;
  private readonly maxBufferedRows: number;
  private readonly timer: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;
  private flushSoon = false;
  private closed = false;

  constructor(private readonly options: BufferedSinkOptions<R>) {
    const interval = options.flushIntervalMs ?? 1000;
    this.maxRows = options.maxRows ?? 5000;
    this.maxBufferedRows = options.maxBufferedRows ?? 100 * this.maxRows;
    if (!(interval > 0) || !(this.maxRows >= 1) || !(this.maxBufferedRows >= this.maxRows)) {
      throw new Error(`prediction log: flushIntervalMs (${interval}) and maxRows (${this.maxRows}) must be positive, maxBufferedRows (${this.maxBufferedRows}) at least maxRows`);
    }
    // Unref'd: a pending flush alone must not keep a process alive; close() flushes what is left.
    this.timer = setInterval(() => this.flushInBackground(), interval).unref();
  }

  get buffered(): number {
    return this.buffer.length;
  }

  append(rows: readonly R[]): boolean {
    if (this.closed || this.buffer.length + rows.length > this.maxBufferedRows) {
      this.options.dropped?.(rows.length);
      return false;
    }
    for (const row of rows) this.buffer.push(row);
    if (this.buffer.length >= this.maxRows && !this.flushSoon) {
      // Not inline: the caller is answering a request.
      this.flushSoon = true;
      setImmediate(() => {
        this.flushSoon = false;
        this.flushInBackground();
      });
    }
    return true;
  }

  /** Writes everything buffered now; calls queue behind a write in progress and share a queued one. */
  flush(): Promise<void> {
    this.queued ??= this.chain.then(() => {
      this.queued = null;
      return this.writeBuffered();
    });
    const run = this.queued;
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer, refuses further rows and writes what is buffered; rejects if some could not be written. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.timer);
    }
    await this.flush();
  }

  private flushInBackground(): void {
    this.flush().catch(() => undefined); // reported through `failed`; the rows stay for the next tick
  }

  /**
   * Writes the rows buffered when the flush starts, in batches of at most maxRows. Rows arriving
   * meanwhile wait for the next flush: under steady load that keeps one segment per interval
   * instead of a write loop chasing the traffic.
   */
  private async writeBuffered(): Promise<void> {
    let remaining = this.buffer.length;
    while (remaining > 0 && this.buffer.length > 0) {
      const take = Math.min(remaining, this.maxRows, this.buffer.length);
      const batch = this.buffer.slice(0, take);
      this.buffer = this.buffer.slice(take);
      try {
        await this.options.write(batch);
      } catch (error) {
        this.buffer = batch.concat(this.buffer); // first in, first retried
        this.options.failed?.(error as Error, batch.length);
        throw error;
      }
      remaining -= take;
      this.options.written?.(batch.length);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The worker's two streams over one store

export interface ServingLog {
  readonly predictions: PredictionSink;
  readonly feedback: FeedbackSink;
  /** For the startup line: where the log goes. */
  readonly where: string;
  flush(): Promise<void>;
  /** Flushes both streams, then releases the store. Rejects (after trying both) if rows were lost. */
  close(): Promise<void>;
}

export interface ServingLogOptions {
  location: LogLocation;
  /** Names this worker's segment files. Default: host name and pid. A random boot suffix is always added. */
  workerId?: string;
  flushIntervalMs?: number;
  maxRows?: number;
  maxBufferedRows?: number;
  /** Per-stream counters (ServingMetrics.logEvents fits). */
  events?: (stream: LogStream) => LogSinkEvents;
}

interface LogStore {
  write(stream: LogStream, rows: readonly (PredictionRecord | FeedbackRecord)[]): Promise<unknown>;
  close(): Promise<void>;
}

/** Opens the store (creating the directory, or the PostgreSQL tables) so a bad location fails at start. */
export async function openServingLog(options: ServingLogOptions): Promise<ServingLog> {
  const store = await openStore(options);
  const sink = <R extends PredictionRecord | FeedbackRecord>(stream: LogStream) =>
    new BufferedSink<R>({
      write: (rows) => store.write(stream, rows).then(() => undefined),
      flushIntervalMs: options.flushIntervalMs,
      maxRows: options.maxRows,
      maxBufferedRows: options.maxBufferedRows,
      ...options.events?.(stream),
    });
  const predictions = sink<PredictionRecord>('predictions');
  const feedback = sink<FeedbackRecord>('feedback');
  let closing: Promise<void> | null = null;
  return {
    predictions,
    feedback,
    where: describeLocation(options.location),
    flush: async () => {
      await Promise.all([predictions.flush(), feedback.flush()]);
    },
    close: () =>
      (closing ??= (async () => {
        const results = await Promise.allSettled([predictions.close(), feedback.close()]);
        await store.close();
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) {
          const lost = predictions.buffered + feedback.buffered;
          throw new Error(`prediction log at ${describeLocation(options.location)}: ${lost} rows could not be written: ${(failed.reason as Error).message}`, {
            cause: failed.reason,
          });
        }
      })()),
  };
}

async function openStore(options: ServingLogOptions): Promise<LogStore> {
  const { location } = options;
  if ('url' in location) {
    const store = new PgLogStore({ url: location.url, schema: location.schema });
    try {
      await store.ready();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }
  try {
    await ensureDirDurable(location.logDir);
    await fs.access(location.logDir, fs.constants.W_OK);
  } catch (error) {
    throw new Error(`prediction log directory ${location.logDir} is not writable: ${(error as Error).message}: set RATCHET_PREDICTION_LOG (or --log) to a writable directory`);
  }
  const base = options.workerId ?? defaultWorkerId();
  assertWorkerId(base);
  // The boot suffix keeps file names unique when a worker with a fixed id restarts within the hour.
  return new ParquetLogWriter({ logDir: location.logDir, workerId: `${base}-${randomBytes(3).toString('hex')}` });
}

export function defaultWorkerId(): string {
  return `${os.hostname().replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60) || 'worker'}-${process.pid}`;
}
