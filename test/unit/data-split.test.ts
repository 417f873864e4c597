import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SnapshotManifest, SplitManifest } from '../../core/types';
import { readTable } from '../../data/read';
import { pullSnapshot } from '../../data/snapshot';
import { splitByTime } from '../../data/split';
import { fileIdentity, makeTempDir, writeTable } from './data-fixtures';

/**
 * 100 rows on 25 days, four rows per day (ties), 2026-01-01 … 2026-01-25. Row i is on day
 * floor(i / 4); label 1 for every third row.
 */
const ROWS = `SELECT 'id-' || lpad(i::VARCHAR, 3, '0') AS id,
                     TIMESTAMP '2026-01-01' + INTERVAL (i // 4) DAY AS ts,
                     (i % 3 = 0)::INTEGER AS label,
                     i * 1.5 AS x
              FROM range(100) AS r(i)`;

const day = (n: number) => new Date(Date.UTC(2026, 0, 1 + n)).toISOString();

async function ids(file: string): Promise<string[]> {
  const { table } = await readTable(file, { features: [], extraColumns: ['id'] });
  return table.columns.id as string[];
}

describe('splitByTime', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let snapshot: SnapshotManifest;
  let outDir: string;

  before(async () => {
    tmp = await makeTempDir('split');
    await writeTable(path.join(tmp.dir, 'src', 'rows.parquet'), ROWS);
    snapshot = await pullSnapshot({
      model: 'm',
      source: { kind: 'files', path: path.join(tmp.dir, 'src', 'rows.parquet') },
      timeColumn: 'ts',
      window: { from: '2025-12-01T00:00:00Z', to: '2026-03-01T00:00:00Z' },
      snapshotDir: path.join(tmp.dir, 'snapshots'),
      now: new Date('2026-03-01T00:00:00Z'),
    });
    outDir = path.join(tmp.dir, 'splits');
  });
  after(() => tmp.cleanup());

  test('cuts by row-count quantile of time, keeping tied timestamps together', async () => {
    // h = round(100 · 0.22) = 22 → cut at row 78 (day 19); day 19's four rows all go to holdout: 24 rows.
    // m = 76 → v = round(76 · 0.2) = 15 → cut at row 61 (day 15): valid is days 15–18 (16 rows), train 60.
    const split = await splitByTime(snapshot, { timeColumn: 'ts', label: 'label', holdoutFraction: 0.22, validFraction: 0.2, outDir });
    assert.equal(split.snapshotId, snapshot.snapshotId);
    assert.deepEqual(
      [split.train.rows, split.valid.rows, split.holdout.rows],
      [60, 16, 24],
    );
    assert.deepEqual(split.train.timeRange, { from: day(0), to: day(14) });
    assert.deepEqual(split.valid.timeRange, { from: day(15), to: day(18) });
    assert.deepEqual(split.holdout.timeRange, { from: day(19), to: day(24) });

    const [train, valid, holdout] = await Promise.all([ids(split.train.path), ids(split.valid.path), ids(split.holdout.path)]);
    const all = [...train, ...valid, ...holdout];
    assert.equal(new Set(all).size, 100, 'every row in exactly one part');
    assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => `id-${String(i).padStart(3, '0')}`), 'parts are in time order');

    // Positive rate: rows 0..59 have 20 multiples of 3; 60..75 have 5 (60,63,…,75); 76..99 have 8.
    assert.equal(split.train.positiveRate, 20 / 60);
    assert.equal(split.valid.positiveRate, 6 / 16);
    assert.equal(split.holdout.positiveRate, 8 / 24);
  });

  test('without ties the parts have exactly the rounded sizes', async () => {
    await writeTable(path.join(tmp.dir, 'unique', 'rows.parquet'), `${ROWS.replace('INTERVAL (i // 4) DAY', 'INTERVAL (i) HOUR')} WHERE i < 10`);
    const unique = await pullSnapshot({
      model: 'unique',
      source: { kind: 'files', path: path.join(tmp.dir, 'unique', 'rows.parquet') },
      timeColumn: 'ts',
      window: { from: '2025-12-01T00:00:00Z', to: '2026-03-01T00:00:00Z' },
      snapshotDir: path.join(tmp.dir, 'snapshots'),
      now: new Date('2026-03-01T00:00:00Z'),
    });
    // h = round(10 · 0.3) = 3 → rows 7–9; m = 7 → v = round(1.4) = 1 → row 6; train rows 0–5.
    const split = await splitByTime(unique, { timeColumn: 'ts', label: 'label', holdoutFraction: 0.3, validFraction: 0.2, outDir });
    assert.deepEqual(await ids(split.train.path), ['id-000', 'id-001', 'id-002', 'id-003', 'id-004', 'id-005']);
    assert.deepEqual(await ids(split.valid.path), ['id-006']);
    assert.deepEqual(await ids(split.holdout.path), ['id-007', 'id-008', 'id-009']);
  });

  test('defaults to 20 % holdout and 20 % of the rest as validation', async () => {
    const split = await splitByTime(snapshot, { timeColumn: 'ts', label: 'label', outDir });
    // h = 20 → cut at row 80 (day 20, no straddle): 20 rows; m = 80 → v = 16 → cut at row 64 (day 16).
    assert.deepEqual([split.train.rows, split.valid.rows, split.holdout.rows], [64, 16, 20]);
    assert.ok(split.train.timeRange!.to < split.valid.timeRange!.from);
    assert.ok(split.valid.timeRange!.to < split.holdout.timeRange!.from);
  });

  test('holdoutFrom cuts at an explicit time', async () => {
    const split = await splitByTime(snapshot, { timeColumn: 'ts', label: 'label', holdoutFrom: day(10), validFraction: 0.25, outDir });
    assert.equal(split.holdout.rows, 60);
    assert.equal(split.holdout.timeRange!.from, day(10));
    // m = 40 → v = round(40 · 0.25) = 10 → cut at row 30, inside day 7: day 7's rows 28–31 join valid.
    assert.deepEqual([split.train.rows, split.valid.rows], [28, 12]);
  });

  test('a zero fraction gives an empty part with no time range', async () => {
    const split = await splitByTime(snapshot, { timeColumn: 'ts', label: 'label', holdoutFraction: 0, validFraction: 0, outDir });
    assert.deepEqual([split.train.rows, split.valid.rows, split.holdout.rows], [100, 0, 0]);
    assert.equal(split.holdout.timeRange, null);
    assert.equal(split.holdout.positiveRate, null);
    assert.equal((await ids(split.holdout.path)).length, 0);
  });

  test('is idempotent and content-addressed: the same inputs return the same files untouched', async () => {
    const options = { timeColumn: 'ts', label: 'label', holdoutFraction: 0.3, outDir };
    const first: SplitManifest = await splitByTime(snapshot, options);
    const before = await Promise.all([first.train.path, first.valid.path, first.holdout.path].map(fileIdentity));
    const second = await splitByTime(snapshot, options);
    assert.deepEqual(second, first);
    assert.deepEqual(await Promise.all([second.train.path, second.valid.path, second.holdout.path].map(fileIdentity)), before);
    assert.ok(first.train.path.startsWith(path.join(outDir, snapshot.snapshotId) + path.sep));

    const other = await splitByTime(snapshot, { ...options, holdoutFraction: 0.1 });
    assert.notEqual(path.dirname(other.train.path), path.dirname(first.train.path));
  });

  test('bad inputs are refused with the field named', async () => {
    await assert.rejects(splitByTime(snapshot, { timeColumn: 'ts', label: 'outcome', outDir }), /Column "outcome" \(label\) is not in/);
    await assert.rejects(splitByTime(snapshot, { timeColumn: 'when', label: 'label', outDir }), /Column "when" \(time_column\) is not in/);
    await assert.rejects(splitByTime(snapshot, { timeColumn: 'ts', label: 'label', holdoutFraction: 1, outDir }), /holdoutFraction must be a number in \[0, 1\)/);
    await assert.rejects(splitByTime(snapshot, { timeColumn: 'ts', label: 'label', holdoutFrom: 'soon', outDir }), /holdoutFrom must be an ISO-8601 time/);
    await assert.rejects(splitByTime(snapshot, { timeColumn: 'ts', label: 'id', outDir }), /Label column "id" .* has type VARCHAR/);
    await assert.rejects(
      splitByTime({ ...snapshot, snapshotId: 'feedfeedfeedfeed', path: path.join(tmp.dir, 'gone.parquet') }, { timeColumn: 'ts', label: 'label', outDir }),
      /gone\.parquet \(snapshot feedfeedfeedfeed\) does not exist; pull the snapshot again/,
    );
  });
});
