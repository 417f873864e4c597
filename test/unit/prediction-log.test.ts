/**
 * The Parquet prediction log on disk and its reader: segment naming and rotation, zero rows
 * before any file exists, time, role and version filters, logged features as a ColumnTable, and
 * the ground-truth join (request id first, entity fallback, coverage) — pure and over real files.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ratchetPaths } from '../../core/paths';
import { joinLabels, readFeedback, readLoggedFeatures, readPredictionLog, readPredictionRows, type FeedbackLog, type PredictionRows } from '../../data/prediction-log';
import {
  hourBucket,
  predictionLogLocation,
  segmentHourStart,
  segmentPath,
  type FeedbackRecord,
  type PredictionRecord,
} from '../../data/prediction-log-format';
import { listSegments, ParquetLogWriter } from '../../data/prediction-log-parquet';

const T = Date.parse('2025-03-10T09:59:59.000Z');
const MIN = 60_000;

function prediction(i: number, extra: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    request_id: `r${i}`,
    entity_id: `e${i % 3}`,
    model: 'churn',
    version: 1,
    role: 'champion',
    features: { age: 30 + i, plan: i % 2 ? 'pro' : 'basic', note: 'a "quoted" / slashed ~ value' },
    score: i / 10,
    label: i / 10 >= 0.5,
    latency_ms: 0.05 + i / 1000,
    status: 'ok',
    error: null,
    at: T + i * MIN,
    ...extra,
  };
}

describe('segment layout (pure)', () => {
  it('names segments by UTC day and hour, zero-padded sequence and worker, and reads the hour back', () => {
    const file = segmentPath('/logs', 'churn', 'predictions', Date.parse('2025-03-10T23:30:00Z'), 7, 'host-1-ab12');
    assert.equal(file, '/logs/churn/predictions/2025-03-10/23-000007-host-1-ab12.parquet');
    assert.equal(segmentHourStart('2025-03-10', '23-000007-host-1-ab12.parquet'), Date.parse('2025-03-10T23:00:00Z'));
    assert.equal(segmentHourStart('2025-03-10', '.tmp-0a1b2c-23-000007-w.parquet'), null, 'a crashed temp file is not a segment');
    assert.equal(segmentHourStart('2025-03-10', '24-000001-w.parquet'), null);
    assert.equal(segmentHourStart('notes', '23-000001-w.parquet'), null);
    assert.deepEqual(hourBucket(Date.parse('2025-12-31T23:59:59.999Z')), { day: '2025-12-31', hour: '23', startMs: Date.parse('2025-12-31T23:00:00Z') });
  });

  it('takes the location from RATCHET_PREDICTION_LOG, else <RATCHET_HOME>/logs/predictions', () => {
    const paths = ratchetPaths('/srv/ratchet');
    assert.deepEqual(predictionLogLocation(paths, {}), { logDir: '/srv/ratchet/logs/predictions' });
    assert.deepEqual(predictionLogLocation(paths, { RATCHET_PREDICTION_LOG: '/var/log/p' }), { logDir: '/var/log/p' });
    assert.deepEqual(predictionLogLocation(paths, { RATCHET_PREDICTION_LOG: 'postgres://u:p@h/db', RATCHET_PREDICTION_LOG_SCHEMA: 'logs' }), {
      url: 'postgres://u:p@h/db',
      schema: 'logs',
    });
    assert.equal(predictionLogLocation(paths, { RATCHET_PREDICTION_LOG: 'off' }), 'off');
  });
});

describe('Parquet log: writing and reading back', () => {
  let logDir: string;
  let writer: ParquetLogWriter;

  before(async () => {
    logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-predlog-'));
    writer = new ParquetLogWriter({ logDir, workerId: 'test-w1' });
  });
  after(async () => {
    await writer.close();
    await fs.rm(logDir, { recursive: true, force: true });
  });

  it('reads zero rows, not an error, before anything was written', async () => {
    const empty = await readPredictionLog({ logDir, model: 'churn', from: T - 3_600_000, to: T + 3_600_000 });
    assert.equal(empty.rowCount, 0);
    assert.deepEqual(empty.coverage, { rows: 0, labelled: 0, byRequestId: 0, byEntityId: 0, share: 0 });
    assert.equal((await readFeedback({ logDir, model: 'churn', from: 0 })).rowCount, 0);
    const table = await readLoggedFeatures({ logDir, model: 'churn', from: 0, to: T, features: [{ name: 'age', type: 'numeric' }] });
    assert.deepEqual(table, { rowCount: 0, columns: { age: new Float64Array(0) } });
  });

  it('rotates: one segment per flush, split at the UTC hour, per model; segments appear whole and nothing else is left', async () => {
    // r0 is at 09:59:59, r1..r4 after 10:00: one flush straddling the hour gives two segments.
    const files = await writer.write('predictions', [0, 1, 2, 3, 4].map((i) => prediction(i)));
    assert.deepEqual(
      files.map((f) => path.relative(logDir, f)),
      ['churn/predictions/2025-03-10/09-000001-test-w1.parquet', 'churn/predictions/2025-03-10/10-000002-test-w1.parquet'],
    );
    const more = await writer.write('predictions', [
      prediction(5, { role: 'candidate', version: 2 }),
      prediction(6, { role: 'shadow', version: 2 }),
      prediction(7, { status: 'error', error: 'model exploded', score: null, label: null }),
      prediction(8, { model: 'fraud' }),
    ]);
    assert.deepEqual(
      more.map((f) => path.relative(logDir, f)),
      ['churn/predictions/2025-03-10/10-000003-test-w1.parquet', 'fraud/predictions/2025-03-10/10-000004-test-w1.parquet'],
    );
    const all = await fs.readdir(logDir, { recursive: true });
    assert.ok(all.every((f) => !path.basename(String(f)).startsWith('.tmp-')), `temp files left: ${all.join(', ')}`);
    // A segment from the future hour does not show up in a listing of the past one.
    assert.equal((await listSegments(logDir, 'churn', 'predictions', T - 3_600_000, T)).length, 1);
  });

  it('reads every column back as written, ordered by time, with NaN for the missing and epoch ms times', async () => {
    const log = await readPredictionRows({ logDir, model: 'churn', from: T, to: T + 60 * MIN });
    assert.equal(log.rowCount, 8);
    assert.deepEqual(log.requestId, ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    assert.deepEqual(log.entityId, ['e0', 'e1', 'e2', 'e0', 'e1', 'e2', 'e0', 'e1']);
    assert.deepEqual([...log.version], [1, 1, 1, 1, 1, 2, 2, 1]);
    assert.deepEqual(log.role, ['champion', 'champion', 'champion', 'champion', 'champion', 'candidate', 'shadow', 'champion']);
    assert.deepEqual([...log.score.slice(0, 7)], [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    assert.ok(Number.isNaN(log.score[7]) && Number.isNaN(log.label[7]));
    assert.deepEqual([...log.label.slice(0, 7)], [0, 0, 0, 0, 0, 1, 1]);
    assert.deepEqual([...log.latencyMs], [0, 1, 2, 3, 4, 5, 6, 7].map((i) => 0.05 + i / 1000));
    assert.deepEqual(log.status, ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'error']);
    assert.deepEqual(log.error, [null, null, null, null, null, null, null, 'model exploded']);
    assert.deepEqual([...log.at], [0, 1, 2, 3, 4, 5, 6, 7].map((i) => T + i * MIN));
  });

  it('filters by time window (from inclusive, to exclusive), roles and versions', async () => {
    const window = await readPredictionRows({ logDir, model: 'churn', from: T + MIN, to: T + 3 * MIN });
    assert.deepEqual(window.requestId, ['r1', 'r2']);
    const served = await readPredictionRows({ logDir, model: 'churn', from: T, to: T + 60 * MIN, roles: ['candidate', 'shadow'] });
    assert.deepEqual(served.requestId, ['r5', 'r6']);
    const v1 = await readPredictionRows({ logDir, model: 'churn', from: T, to: T + 60 * MIN, versions: [1], roles: ['champion'] });
    assert.deepEqual(v1.requestId, ['r0', 'r1', 'r2', 'r3', 'r4', 'r7']);
    const fraud = await readPredictionRows({ logDir, model: 'fraud', from: T, to: T + 60 * MIN });
    assert.deepEqual(fraud.requestId, ['r8']);
    await assert.rejects(readPredictionRows({ logDir, model: 'churn', from: T, to: T }), /"to" .* must be after "from"/);
    await assert.rejects(readPredictionRows({ logDir, model: 'churn', from: T, to: T + 1, roles: ['boss' as never] }), /roles\[0\] "boss" is invalid/);
    await assert.rejects(readPredictionRows({ logDir, model: '../etc', from: T, to: T + 1 }), /model name/);
  });

  it('returns the logged features of the served traffic as a ColumnTable (shadow rows left out by default)', async () => {
    const table = await readLoggedFeatures({
      logDir,
      model: 'churn',
      from: T,
      to: T + 60 * MIN,
      features: [
        { name: 'age', type: 'numeric' },
        { name: 'plan', type: 'categorical' },
        { name: 'note', type: 'categorical' },
        { name: 'absent', type: 'numeric' },
      ],
    });
    assert.equal(table.rowCount, 7); // r6 is a shadow row
    assert.deepEqual([...(table.columns.age as Float64Array)], [30, 31, 32, 33, 34, 35, 37]);
    assert.deepEqual(table.columns.plan, ['basic', 'pro', 'basic', 'pro', 'basic', 'pro', 'pro']);
    assert.equal((table.columns.note as string[])[0], 'a "quoted" / slashed ~ value');
    assert.ok([...(table.columns.absent as Float64Array)].every(Number.isNaN));
    await assert.rejects(
      readLoggedFeatures({ logDir, model: 'churn', from: T, to: T + 60 * MIN, roles: ['shadow'], features: [{ name: 'age', type: 'numeric' }] }),
      /shadow.*mirror the served rows.*read roles champion and candidate/,
    );
  });

  it('joins feedback written to the log: by request id, else by entity at or after the prediction', async () => {
    const feedback: FeedbackRecord[] = [
      { model: 'churn', request_id: 'r1', entity_id: null, label: 1, at: T + 30 * MIN, received_at: T + 30 * MIN },
      { model: 'churn', request_id: null, entity_id: 'e2', label: 0, at: T + 4 * MIN, received_at: T + 40 * MIN },
    ];
    await writer.write('feedback', feedback);
    const log = await readPredictionLog({ logDir, model: 'churn', from: T, to: T + 60 * MIN });
    // r1 by request id; e2's feedback at T+4 labels r2 (T+2) but not r5 (T+5, after it).
    assert.deepEqual(log.matchedBy, [null, 'request_id', 'entity_id', null, null, null, null, null]);
    assert.deepEqual([...log.groundTruth].map((v) => (Number.isNaN(v) ? null : v)), [null, 1, 0, null, null, null, null, null]);
    assert.deepEqual(log.coverage, { rows: 8, labelled: 2, byRequestId: 1, byEntityId: 1, share: 0.25 });
    const fb = await readFeedback({ logDir, model: 'churn', from: T, to: T + 60 * MIN });
    assert.deepEqual(fb.requestId, [null, 'r1']);
    assert.deepEqual([...fb.receivedAt], [T + 40 * MIN, T + 30 * MIN]);
  });
});

describe('Parquet log: one writer for both streams', () => {
  it('takes concurrent writes of predictions and feedback one after the other, losing none', async () => {
    const logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-predlog-concurrent-'));
    const writer = new ParquetLogWriter({ logDir, workerId: 'w2' });
    try {
      const writes = Array.from({ length: 6 }, (_, k) =>
        k % 2 === 0
          ? writer.write('predictions', Array.from({ length: 50 }, (_, i) => prediction(k * 50 + i, { model: 'ops', at: T + 1000 + i })))
          : writer.write('feedback', Array.from({ length: 20 }, (_, i) => ({ model: 'ops', request_id: `r${k}-${i}`, entity_id: null, label: 1 as const, at: T + 1000 + i, received_at: T + 2000 }))),
      );
      const files = (await Promise.all(writes)).flat();
      assert.equal(new Set(files).size, 6, 'one segment per write, none overwritten');
      assert.equal((await readPredictionRows({ logDir, model: 'ops', from: T, to: T + 60 * MIN })).rowCount, 150);
      assert.equal((await readFeedback({ logDir, model: 'ops', from: T })).rowCount, 60);
    } finally {
      await writer.close();
      await fs.rm(logDir, { recursive: true, force: true });
    }
    await assert.rejects(writer.write('predictions', [prediction(1)]), /after close/);
  });
});

describe('Parquet log: large writes', () => {
  it('keeps row order and every value across the staged slices of 100 rows, however large a slice grows', async () => {
    const logDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-predlog-large-'));
    const writer = new ParquetLogWriter({ logDir, workerId: 'w3' });
    try {
      // 250 rows: three slices; each feature object ~400 KB, so a slice (~40 MB) is past what read_json takes by default (16 MB per object, read in 32 MB buffers).
      const big = 'é'.repeat(200_000);
      await writer.write('predictions', Array.from({ length: 250 }, (_, i) => prediction(i, { model: 'big', at: T + i, features: { i, big }, score: i % 7 === 0 ? null : i / 250, entity_id: i % 5 === 0 ? null : `e${i}` })));
      const rows = await readPredictionRows({ logDir, model: 'big', from: T, to: T + 1000 });
      assert.equal(rows.rowCount, 250);
      assert.deepEqual(rows.requestId, Array.from({ length: 250 }, (_, i) => `r${i}`));
      assert.deepEqual(rows.entityId, Array.from({ length: 250 }, (_, i) => (i % 5 === 0 ? null : `e${i}`)));
      assert.deepEqual([...rows.score].map((v) => (Number.isNaN(v) ? null : v)), Array.from({ length: 250 }, (_, i) => (i % 7 === 0 ? null : i / 250)));
      const table = await readLoggedFeatures({ logDir, model: 'big', from: T, to: T + 1000, features: [{ name: 'i', type: 'numeric' }, { name: 'big', type: 'categorical' }] });
      assert.deepEqual([...(table.columns.i as Float64Array)], Array.from({ length: 250 }, (_, i) => i));
      assert.ok((table.columns.big as string[]).every((v) => v === big));
    } finally {
      await writer.close();
      await fs.rm(logDir, { recursive: true, force: true });
    }
  });
});

describe('joinLabels (pure)', () => {
  const rows = (list: [string, string | null, number][]): PredictionRows => ({
    rowCount: list.length,
    requestId: list.map((r) => r[0]),
    entityId: list.map((r) => r[1]),
    version: new Int32Array(list.length).fill(1),
    role: list.map(() => 'champion' as const),
    score: new Float64Array(list.length).fill(0.5),
    label: new Float64Array(list.length).fill(1),
    latencyMs: new Float64Array(list.length),
    status: list.map(() => 'ok' as const),
    error: list.map(() => null),
    at: Float64Array.from(list, (r) => r[2]),
  });
  const feedback = (list: [string | null, string | null, 0 | 1, number, number?][]): FeedbackLog => ({
    rowCount: list.length,
    requestId: list.map((f) => f[0]),
    entityId: list.map((f) => f[1]),
    label: Float64Array.from(list, (f) => f[2]),
    at: Float64Array.from(list, (f) => f[3]),
    receivedAt: Float64Array.from(list, (f) => f[4] ?? f[3]),
  });
  const truth = (log: { groundTruth: Float64Array }) => [...log.groundTruth].map((v) => (Number.isNaN(v) ? null : v));

  it('prefers the request id over the entity, and takes the latest feedback for a request id (a correction)', () => {
    const log = joinLabels(
      rows([['r1', 'e1', 100], ['r2', 'e1', 200]]),
      feedback([
        ['r1', null, 0, 300],
        ['r1', null, 1, 400], // corrected later
        [null, 'e1', 0, 500],
      ]),
    );
    assert.deepEqual(truth(log), [1, 0]);
    assert.deepEqual(log.matchedBy, ['request_id', 'entity_id']);
  });

  it('uses, by entity, the latest feedback and only when it is at or after the prediction', () => {
    const log = joinLabels(
      rows([['a', 'e1', 100], ['b', 'e1', 250], ['c', 'e1', 400], ['d', 'e2', 100], ['e', null, 100]]),
      feedback([
        [null, 'e1', 1, 200],
        [null, 'e1', 0, 300],
        [null, 'e2', 1, 100], // exactly at the prediction's time counts
      ]),
    );
    assert.deepEqual(truth(log), [0, 0, null, 1, null]);
    assert.deepEqual(log.coverage, { rows: 5, labelled: 3, byRequestId: 0, byEntityId: 3, share: 0.6 });
  });

  it('breaks ties between feedback at the same time by arrival, and lets feedback with both ids serve both rules', () => {
    const log = joinLabels(
      rows([['r1', 'e1', 100], ['r2', 'e1', 100]]),
      feedback([
        ['r1', 'e1', 1, 200, 201],
        [null, 'e1', 0, 200, 200], // same time, received earlier: older
      ]),
    );
    assert.deepEqual(truth(log), [1, 1]);
    assert.deepEqual(log.matchedBy, ['request_id', 'entity_id']);
  });

  it('covers nothing without feedback, and keeps every other column as it was', () => {
    const predictions = rows([['r1', 'e1', 100]]);
    const log = joinLabels(predictions, feedback([]));
    assert.deepEqual(truth(log), [null]);
    assert.equal(log.coverage.share, 0);
    assert.equal(log.requestId, predictions.requestId);
  });
});
