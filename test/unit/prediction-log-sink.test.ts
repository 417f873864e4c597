/**
 * The serving log's buffer (BufferedSink): appends never do I/O, the timer and the row limit
 * trigger flushes, a flush writes what was buffered when it started in order and in batches of
 * at most maxRows, a failing store keeps the rows for the next try, a full buffer drops and says
 * so, and close writes everything left.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BufferedSink } from '../../workers/serving/prediction-log';

/** A store that records each write and can be told to fail or to take its time. */
function recordingStore() {
  const writes: number[][] = [];
  let failuresLeft = 0;
  let delayMs = 0;
  return {
    writes,
    failNext(n: number) {
      failuresLeft = n;
    },
    slow(ms: number) {
      delayMs = ms;
    },
    write: async (rows: number[]) => {
      if (delayMs > 0) await sleep(delayMs);
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error('disk full');
      }
      writes.push([...rows]);
    },
  };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('BufferedSink', () => {
  it('does no I/O on append; the timer flushes everything appended, in order', async () => {
    const store = recordingStore();
    const sink = new BufferedSink<number>({ write: store.write, flushIntervalMs: 40 });
    try {
      sink.append([1, 2]);
      sink.append([3]);
      assert.deepEqual(store.writes, [], 'append must not write');
      for (let i = 0; i < 50 && store.writes.length === 0; i++) await sleep(10);
      assert.deepEqual(store.writes, [[1, 2, 3]]);
      assert.equal(sink.buffered, 0);
    } finally {
      await sink.close();
    }
  });

  it('flushes as soon as maxRows are buffered, without waiting for the timer, in batches of at most maxRows', async () => {
    const store = recordingStore();
    const sink = new BufferedSink<number>({ write: store.write, flushIntervalMs: 60_000, maxRows: 4 });
    try {
      sink.append(range(0, 10));
      for (let i = 0; i < 50 && store.writes.flat().length < 10; i++) await sleep(5);
      assert.deepEqual(store.writes, [range(0, 4), range(4, 4), range(8, 2)]);
    } finally {
      await sink.close();
    }
  });

  it('writes only what was buffered when the flush started: rows arriving during a write wait for the next flush', async () => {
    const store = recordingStore();
    store.slow(30);
    const sink = new BufferedSink<number>({ write: store.write, flushIntervalMs: 60_000 });
    try {
      sink.append([1, 2]);
      const first = sink.flush();
      await sleep(5);
      sink.append([3]);
      await first;
      assert.deepEqual(store.writes, [[1, 2]]);
      assert.equal(sink.buffered, 1);
      await sink.flush();
      assert.deepEqual(store.writes, [[1, 2], [3]]);
    } finally {
      await sink.close();
    }
  });

  it('keeps rows through failed writes and retries them first, reporting each failure', async () => {
    const store = recordingStore();
    const failures: number[] = [];
    const written: number[] = [];
    const sink = new BufferedSink<number>({
      write: store.write,
      flushIntervalMs: 60_000,
      failed: (error, rows) => {
        assert.match(error.message, /disk full/);
        failures.push(rows);
      },
      written: (rows) => written.push(rows),
    });
    try {
      store.failNext(2);
      sink.append([1, 2]);
      await assert.rejects(sink.flush(), /disk full/);
      sink.append([3]);
      await assert.rejects(sink.flush(), /disk full/);
      assert.equal(sink.buffered, 3);
      await sink.flush();
      assert.deepEqual(store.writes, [[1, 2, 3]]);
      assert.deepEqual(failures, [2, 3]);
      assert.deepEqual(written, [3]);
    } finally {
      await sink.close();
    }
  });

  it('drops (and reports) rows beyond maxBufferedRows while the store fails, so memory stays bounded', async () => {
    const store = recordingStore();
    let dropped = 0;
    const sink = new BufferedSink<number>({ write: store.write, flushIntervalMs: 60_000, maxRows: 2, maxBufferedRows: 4, dropped: (n) => (dropped += n) });
    store.failNext(1_000);
    assert.equal(sink.append([1, 2, 3]), true);
    assert.equal(sink.append([4, 5]), false, 'would exceed 4 buffered rows');
    assert.equal(sink.append([4]), true);
    assert.equal(dropped, 2);
    assert.equal(sink.buffered, 4);
    store.failNext(0);
    await sink.close();
    assert.deepEqual(store.writes.flat(), [1, 2, 3, 4]);
  });

  it('close writes everything buffered, then refuses further rows; a close that cannot write rejects', async () => {
    const store = recordingStore();
    const sink = new BufferedSink<number>({ write: store.write, flushIntervalMs: 60_000 });
    sink.append(range(0, 7));
    await sink.close();
    assert.deepEqual(store.writes, [range(0, 7)]);
    assert.equal(sink.append([99]), false);
    await sink.close(); // idempotent
    assert.deepEqual(store.writes, [range(0, 7)]);

    const failing = recordingStore();
    failing.failNext(10);
    const doomed = new BufferedSink<number>({ write: failing.write, flushIntervalMs: 60_000 });
    doomed.append([1]);
    await assert.rejects(doomed.close(), /disk full/);
  });

  it('refuses settings that cannot work', () => {
    assert.throws(() => new BufferedSink<number>({ write: async () => {}, flushIntervalMs: 0 }), /flushIntervalMs/);
    assert.throws(() => new BufferedSink<number>({ write: async () => {}, maxRows: 10, maxBufferedRows: 5 }), /maxBufferedRows/);
  });
});
