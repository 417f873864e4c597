import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FeatureSpec, SnapshotManifest } from '../../core/types';
import { checkData, profileReference, type DataCheck, type DataCheckOptions } from '../../data/checks';
import { pullSnapshot } from '../../data/snapshot';
import { makeTempDir, writeTable } from './data-fixtures';

/** 20 clean rows: unique ids, no NULLs, label 0/1 with 5 positives, colours red/blue. */
const GOOD = `SELECT 'id-' || i AS id, TIMESTAMP '2026-01-01' + INTERVAL (i) HOUR AS ts, i * 1.0 AS amount,
                     CASE WHEN i % 2 = 0 THEN 'red' ELSE 'blue' END AS colour, (i % 4 = 0)::INTEGER AS label
              FROM range(20) AS r(i)`;

/**
 * 20 broken rows: id-3 appears twice, amount is NULL in 12 rows (60 %), one label is 2 and two
 * are NULL, a new colour 'green', amounts 24–38 in rows 12–19 (the reference stops at 19).
 */
const BAD = `SELECT CASE WHEN i = 4 THEN 'id-3' ELSE 'id-' || i END AS id, TIMESTAMP '2026-01-01' + INTERVAL (i) HOUR AS ts,
                    CASE WHEN i < 12 THEN NULL ELSE i * 2.0 END AS amount,
                    CASE WHEN i = 5 THEN 'green' WHEN i % 2 = 0 THEN 'red' ELSE 'blue' END AS colour,
                    CASE WHEN i = 7 THEN 2 WHEN i IN (8, 9) THEN NULL ELSE (i % 4 = 0)::INTEGER END AS label,
                    'text' AS word
             FROM range(20) AS r(i)`;

const FEATURES: FeatureSpec[] = [
  { name: 'amount', type: 'numeric' },
  { name: 'colour', type: 'categorical' },
];

function find(checks: DataCheck[], check: string, column?: string): DataCheck {
  const found = checks.find((c) => c.check === check && c.column === column);
  assert.ok(found, `no ${check} check for ${column}`);
  return found;
}

describe('checkData', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let good: SnapshotManifest;
  let bad: SnapshotManifest;
  const base: DataCheckOptions = { features: FEATURES, label: 'label', timeColumn: 'ts', idColumn: 'id', minRows: 10 };

  const snapshotOf = async (name: string, sql: string) => {
    await writeTable(path.join(tmp.dir, name, 'data.parquet'), sql);
    return pullSnapshot({
      model: name,
      source: { kind: 'files', path: path.join(tmp.dir, name, 'data.parquet') },
      timeColumn: 'ts',
      window: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
      snapshotDir: path.join(tmp.dir, 'snapshots'),
      now: new Date('2026-02-01T00:00:00Z'),
    });
  };

  before(async () => {
    tmp = await makeTempDir('checks');
    good = await snapshotOf('good', GOOD);
    bad = await snapshotOf('bad', BAD);
  });
  after(() => tmp.cleanup());

  test('clean data passes every check', async () => {
    const reference = await profileReference(good.path, FEATURES);
    const report = await checkData(good, { ...base, labelRate: { min: 0.1, max: 0.5 }, reference });
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.checks.filter((c) => c.verdict !== 'pass'),
      [],
    );
    assert.deepEqual(
      [...new Set(report.checks.map((c) => c.check))],
      ['schema', 'min_rows', 'null_rate', 'label_values', 'label_nulls', 'label_rate', 'duplicate_ids', 'unseen_categories', 'out_of_range'],
    );
    assert.equal(find(report.checks, 'label_rate', 'label').value, 5 / 20);
  });

  test('each problem in broken data gets its own verdict naming the column', async () => {
    const reference = await profileReference(good.path, FEATURES);
    const report = await checkData(bad, { ...base, minRows: 50, labelRate: { min: 0.3, max: 0.5 }, reference });
    assert.equal(report.ok, false);

    const nulls = find(report.checks, 'null_rate', 'amount');
    assert.equal(nulls.verdict, 'fail');
    assert.equal(nulls.value, 0.6);
    assert.equal(nulls.threshold, 0.2);
    assert.match(nulls.evidence, /12 of 20 rows \(60\.00 %\) of "amount" are NULL/);
    assert.equal(find(report.checks, 'null_rate', 'colour').verdict, 'pass');

    const minRows = find(report.checks, 'min_rows');
    assert.deepEqual([minRows.verdict, minRows.value, minRows.threshold], ['fail', 20, 50]);

    const labels = find(report.checks, 'label_values', 'label');
    assert.deepEqual([labels.verdict, labels.value], ['fail', 1]);
    assert.match(labels.evidence, /1 rows of label "label" are neither 0, 1 nor NULL \(e\.g\. 2\)/);

    const unlabelled = find(report.checks, 'label_nulls', 'label');
    assert.deepEqual([unlabelled.verdict, unlabelled.value], ['warn', 0.1]);

    const rate = find(report.checks, 'label_rate', 'label');
    assert.equal(rate.verdict, 'fail');
    // 18 labelled rows minus the invalid one; positives are rows 0, 4, 12, 16 (row 8 has no label).
    assert.equal(rate.value, 4 / 17);
    assert.match(rate.evidence, /expected 30\.00 % to 50\.00 %/);

    const duplicates = find(report.checks, 'duplicate_ids', 'id');
    assert.deepEqual([duplicates.verdict, duplicates.value], ['fail', 1]);
    assert.match(duplicates.evidence, /repeat an existing "id" \(e\.g\. id-3\)/);

    const unseen = find(report.checks, 'unseen_categories', 'colour');
    assert.deepEqual([unseen.verdict, unseen.value], ['warn', 1 / 20]);
    assert.match(unseen.evidence, /"green" \(1\)/);

    const range = find(report.checks, 'out_of_range', 'amount');
    assert.equal(range.verdict, 'warn');
    assert.match(range.evidence, /outside the reference range 0\.\.19 \(0 below, 8 above\)/);
  });

  test('maxNullRate is overridable per feature', async () => {
    const report = await checkData(bad, { ...base, maxNullRate: 0.05, maxNullRateByFeature: { amount: 0.7 } });
    assert.equal(find(report.checks, 'null_rate', 'amount').verdict, 'pass');
    assert.equal(find(report.checks, 'null_rate', 'amount').threshold, 0.7);
    assert.equal(find(report.checks, 'null_rate', 'colour').threshold, 0.05);
  });

  test('a missing or mistyped column fails the schema check, naming the column, the columns available and the config field', async () => {
    const report = await checkData(bad, {
      ...base,
      features: [...FEATURES, { name: 'income', type: 'numeric' }, { name: 'word', type: 'numeric' }],
      idColumn: 'application_id',
    });
    assert.equal(report.ok, false);
    const missing = find(report.checks, 'schema', 'income');
    assert.equal(missing.verdict, 'fail');
    assert.match(missing.evidence, /The numeric feature "income" \(features\.numeric\) is missing from .*\.parquet/);
    assert.match(missing.evidence, /Columns available: id \(VARCHAR\), ts \(TIMESTAMP\), amount \(DECIMAL\(\d+,1\)\), colour \(VARCHAR\)/);
    assert.match(missing.evidence, /Fix features\.numeric in the model config/);
    const id = find(report.checks, 'schema', 'application_id');
    assert.match(id.evidence, /The id column "application_id" \(id_column\) is missing/);
    const mistyped = find(report.checks, 'schema', 'word');
    assert.equal(mistyped.verdict, 'fail');
    assert.match(mistyped.evidence, /"word" has type VARCHAR .* it must be a number/);
    // Columns that failed the schema are not queried further (no null_rate for them), and nothing throws.
    assert.equal(report.checks.some((c) => c.check === 'null_rate' && (c.column === 'income' || c.column === 'word')), false);
    assert.equal(report.checks.some((c) => c.check === 'duplicate_ids'), false);
  });

  test('an empty snapshot fails min_rows and label_rate instead of crashing', async () => {
    const empty = await pullSnapshot({
      model: 'good',
      source: { kind: 'files', path: path.join(tmp.dir, 'good', 'data.parquet') },
      timeColumn: 'ts',
      window: { from: '2030-01-01T00:00:00Z', to: '2030-02-01T00:00:00Z' },
      snapshotDir: path.join(tmp.dir, 'snapshots'),
      now: new Date('2030-02-01T00:00:00Z'),
    });
    const report = await checkData(empty, { ...base, labelRate: { min: 0.1, max: 0.5 } });
    assert.equal(report.ok, false);
    assert.equal(find(report.checks, 'min_rows').verdict, 'fail');
    assert.equal(find(report.checks, 'label_rate', 'label').value, null);
    assert.equal(find(report.checks, 'null_rate', 'amount').verdict, 'pass');
  });

  test('a snapshot file that is gone is an error naming it', async () => {
    await assert.rejects(checkData({ ...good, path: path.join(tmp.dir, 'gone.parquet') }, base), /gone\.parquet .* does not exist; pull the snapshot again/);
  });
});

describe('profileReference', () => {
  test('lists categories (sorted) and min/max per feature', async () => {
    const tmp = await makeTempDir('profile');
    try {
      const file = path.join(tmp.dir, 'ref.csv');
      await writeTable(file, `${GOOD} UNION ALL SELECT 'x', TIMESTAMP '2026-02-01', NULL, NULL, 0`);
      const profile = await profileReference(file, FEATURES);
      assert.deepEqual(profile, { categories: { colour: ['blue', 'red'] }, ranges: { amount: { min: 0, max: 19 } } });
      await assert.rejects(profileReference(file, [{ name: 'nope', type: 'categorical' }]), /Column "nope" \(features\.categorical\) is not in/);
    } finally {
      await tmp.cleanup();
    }
  });
});
