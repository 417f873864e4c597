import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readTable } from '../../data/read';
import { DEMO_COLUMNS, DEMO_DEFAULTS, generateDemoData, type DemoDataResult } from '../../examples/demo-data/generate';
import { makeTempDir, queryFile } from './data-fixtures';

const NUMERIC = ['income', 'debt_to_income', 'credit_utilization', 'age', 'months_employed', 'num_late_payments', 'loan_amount', 'num_credit_lines'];
const WEEK_MS = 7 * 86_400_000;

async function filesHash(files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) hash.update(path.basename(file)).update(await readFile(file));
  return hash.digest('hex');
}

/** Population stability index of `actual` against `expected`, ten bins at the deciles of `expected`. */
function psi(expected: number[], actual: number[]): number {
  const sorted = [...expected].sort((a, b) => a - b);
  const cuts = [...new Set([1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => sorted[Math.floor((d / 10) * sorted.length)]))];
  const shares = (values: number[]) => {
    const counts = new Array(cuts.length + 1).fill(0);
    for (const v of values) {
      let bin = 0;
      while (bin < cuts.length && v > cuts[bin]) bin++;
      counts[bin]++;
    }
    return counts.map((c) => Math.max(c / values.length, 1e-4));
  };
  const e = shares(expected);
  const a = shares(actual);
  return e.reduce((sum, ei, i) => sum + (a[i] - ei) * Math.log(a[i] / ei), 0);
}

const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;

describe('demo dataset (defaults: 120,000 rows, 16 weeks)', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let result: DemoDataResult;
  let glob: string;

  before(async () => {
    tmp = await makeTempDir('demo');
    result = await generateDemoData({ outDir: path.join(tmp.dir, 'data') });
    glob = path.join(tmp.dir, 'data', 'applications-week-*.parquet');
  });
  after(() => tmp.cleanup());

  test('writes one Parquet file per week with the documented schema', async () => {
    assert.equal(result.rows, 120_000);
    assert.equal(result.weeks, 16);
    assert.equal(result.driftWeek, 10);
    assert.deepEqual(
      result.files.map((f) => path.basename(f)),
      Array.from({ length: 16 }, (_, i) => `applications-week-${String(i + 1).padStart(2, '0')}.parquet`),
    );
    const schema = await queryFile(result.files[0], 'DESCRIBE SELECT * FROM read_parquet($file)');
    assert.deepEqual(
      schema.map((c) => [c.column_name, c.column_type]),
      DEMO_COLUMNS.map((c) => [c.name, c.type]),
    );
  });

  test('each week file holds its week, and ids are unique with a few returning customers', async () => {
    const start = Date.parse(`${DEMO_DEFAULTS.start}T00:00:00Z`);
    for (const [i, file] of result.files.entries()) {
      const [row] = await queryFile(file, 'SELECT count(*) AS n, min(applied_at) AS lo, max(applied_at) AS hi FROM read_parquet($file)');
      assert.equal(Number(row.n), 7_500);
      assert.ok((row.lo as Date).getTime() >= start + i * WEEK_MS, `week ${i + 1} starts in its week`);
      assert.ok((row.hi as Date).getTime() < start + (i + 1) * WEEK_MS, `week ${i + 1} ends in its week`);
    }
    const [ids] = await queryFile(
      glob,
      'SELECT count(*) AS n, count(DISTINCT application_id) AS apps, count(DISTINCT customer_id) AS customers FROM read_parquet($file)',
    );
    assert.equal(Number(ids.apps), 120_000);
    const returning = 1 - Number(ids.customers) / 120_000;
    assert.ok(returning > 0.02 && returning < 0.1, `returning-customer share ${returning}`);
  });

  test('missing-value rates, label rate, ranges and categories are as documented', async () => {
    const [row] = await queryFile(
      glob,
      `SELECT avg((income IS NULL)::INT) AS income, avg((months_employed IS NULL)::INT) AS months,
              avg((employment_type IS NULL)::INT) AS employment, avg(defaulted) AS rate,
              count(*) FILTER (WHERE debt_to_income IS NULL OR credit_utilization IS NULL OR age IS NULL OR loan_amount IS NULL
                               OR home_ownership IS NULL OR region IS NULL OR channel IS NULL OR defaulted IS NULL) AS other_nulls,
              min(credit_utilization) AS util_min, max(credit_utilization) AS util_max, min(age) AS age_min, max(age) AS age_max,
              count(*) FILTER (WHERE age_band <> CASE WHEN age < 30 THEN 'under_30' WHEN age <= 50 THEN '30_to_50' ELSE 'over_50' END) AS bad_bands,
              list_sort(list_distinct(list(region))) AS regions, list_sort(list_distinct(list(channel))) AS channels,
              list_sort(list_distinct(list(gender))) AS genders, list_sort(list_distinct(list(defaulted))) AS labels,
              list_sort(list_distinct(list(loan_purpose))) AS purposes, list_sort(list_distinct(list(home_ownership))) AS homes
       FROM read_parquet($file)`,
    );
    assert.ok(Math.abs(Number(row.income) - 0.03) < 0.005, `income missing ${row.income}`);
    assert.ok(Math.abs(Number(row.months) - 0.08) < 0.01, `months_employed missing ${row.months}`);
    assert.ok(Math.abs(Number(row.employment) - 0.02) < 0.005, `employment_type missing ${row.employment}`);
    assert.ok(Number(row.rate) >= 0.12 && Number(row.rate) <= 0.18, `default rate ${row.rate}`);
    assert.equal(Number(row.other_nulls), 0);
    assert.ok(Number(row.util_min) >= 0 && Number(row.util_max) <= 1.2);
    assert.ok(Number(row.age_min) >= 18 && Number(row.age_max) <= 85);
    assert.equal(Number(row.bad_bands), 0);
    assert.deepEqual(row.regions, ['east', 'north', 'south', 'west']);
    assert.deepEqual(row.channels, ['branch', 'online', 'partner']);
    assert.deepEqual(row.genders, ['female', 'male', 'nonbinary']);
    assert.deepEqual(row.labels, [0, 1]);
    assert.deepEqual(row.purposes, ['business', 'car', 'debt_consolidation', 'education', 'home_improvement', 'medical', 'other']);
    assert.deepEqual(row.homes, ['mortgage', 'other', 'own', 'rent']);
  });

  test('data drift: credit_utilization shifts after the drift week (PSI ≥ 0.25), other features stay put (PSI < 0.1)', async () => {
    const features = NUMERIC.map((name) => ({ name, type: 'numeric' as const }));
    const early = await readTable(path.join(tmp.dir, 'data', 'applications-week-0[1-4].parquet'), { features });
    const late = await readTable(path.join(tmp.dir, 'data', 'applications-week-1[3-6].parquet'), { features });
    const values = (table: typeof early.table, name: string) =>
      Array.from(table.columns[name] as Float64Array).filter((v) => !Number.isNaN(v));

    const utilization = psi(values(early.table, 'credit_utilization'), values(late.table, 'credit_utilization'));
    assert.ok(utilization >= 0.25, `credit_utilization PSI ${utilization}`);
    assert.ok(mean(values(late.table, 'credit_utilization')) - mean(values(early.table, 'credit_utilization')) > 0.1);
    for (const name of NUMERIC.filter((n) => n !== 'credit_utilization')) {
      const stable = psi(values(early.table, name), values(late.table, name));
      assert.ok(stable < 0.1, `${name} PSI ${stable}`);
    }
    const incomeShift = mean(values(late.table, 'income')) / mean(values(early.table, 'income')) - 1;
    assert.ok(Math.abs(incomeShift) < 0.02, `income mean moved by ${incomeShift}`);
  });

  test('concept drift: after the drift week the partner channel defaults far more often', async () => {
    const rows = await queryFile(
      glob,
      `SELECT applied_at >= TIMESTAMP '2026-03-16' AS after_drift, avg(defaulted) AS rate
       FROM read_parquet($file) WHERE channel = 'partner' GROUP BY 1 ORDER BY 1`,
    );
    const [before, after] = rows.map((r) => Number(r.rate));
    assert.ok(after - before > 0.05, `partner default rate ${before} → ${after}`);
  });
});

describe('demo dataset determinism', () => {
  test('the same seed gives byte-identical files; another seed does not', async () => {
    const tmp = await makeTempDir('demo-seed');
    try {
      const small = { rows: 6_000, weeks: 3, driftWeek: 2 };
      const a = await generateDemoData({ outDir: path.join(tmp.dir, 'a'), seed: 7, ...small });
      const b = await generateDemoData({ outDir: path.join(tmp.dir, 'b'), seed: 7, ...small });
      const c = await generateDemoData({ outDir: path.join(tmp.dir, 'c'), seed: 8, ...small });
      assert.equal(await filesHash(a.files), await filesHash(b.files));
      assert.notEqual(await filesHash(a.files), await filesHash(c.files));
      const [row] = await queryFile(path.join(tmp.dir, 'a', '*.parquet'), 'SELECT count(*) AS n FROM read_parquet($file)');
      assert.equal(Number(row.n), 6_000);
    } finally {
      await tmp.cleanup();
    }
  });

  test('bad options are refused with the option named', async () => {
    await assert.rejects(generateDemoData({ outDir: '/tmp/unused', weeks: 0 }), /weeks must be an integer in 1\.\.99/);
    await assert.rejects(generateDemoData({ outDir: '/tmp/unused', rows: 5, weeks: 16 }), /rows must be an integer ≥ weeks/);
    await assert.rejects(generateDemoData({ outDir: '/tmp/unused', start: '2026-13-45' }), /start must be an ISO date/);
    await assert.rejects(generateDemoData({ outDir: '/tmp/unused', driftWeek: 40 }), /driftWeek must be an integer in 0\.\.16/);
  });
});
