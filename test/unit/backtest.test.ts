/**
 * Back-testing on the small demo set (12 weeks, drift after week 8): two registered versions on
 * every week and every month, the numbers checked against a direct evaluation of the same rows,
 * the drift visible in the pre-drift version's AUC, and the HTML page's charts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readTable } from '../../data/read';
import { backtest, type BacktestInput, type BacktestResult } from '../../evaluation/backtest';
import { FsRegistryStore } from '../../registry/fs-store';
import { renderBacktestReport } from '../../reports/backtest-report';
import { computeMetrics } from '../../validation';
import { demoWorkspace, SMALL_DEMO, type DemoWorkspace } from '../helpers/fixtures';
import { DEMO_FEATURES, demoWeekFile, registerDemoVersion, scoreWith } from '../helpers/live-traffic';

let ws: DemoWorkspace;
let input: Omit<BacktestInput, 'by'>;
let weekly: BacktestResult;
const bytesOf = new Map<number, Uint8Array>();

before(async () => {
  ws = await demoWorkspace();
  const store = new FsRegistryStore(ws.paths.registry);
  const early = await registerDemoVersion(ws, store, { first: 1, last: 4 }, { runId: 'bt-1' });
  const late = await registerDemoVersion(ws, store, { first: 9, last: 11 }, { runId: 'bt-2' });
  bytesOf.set(1, early.bytes).set(2, late.bytes);
  input = {
    model: 'credit',
    source: { kind: 'files', path: `${ws.dataDir}/*.parquet` },
    timeColumn: 'applied_at',
    label: 'defaulted',
    segments: ['region', 'channel'],
    protected: ['age_band'],
    gates: { min_performance: { metric: 'auc', min: 0.78 }, fairness: { max_demographic_parity_difference: 0.15 } },
    bootstrap: { replicates: 50, seed: 1 },
    minSliceRows: 100,
    versions: [early, late].map(({ version, bytes }) => ({ version: version.version, bytes, features: version.features, threshold: version.threshold, trainedOn: version.snapshot!.timeRange })),
  };
  weekly = await backtest({ ...input, by: 'week' });
});

after(async () => {
  await ws?.cleanup();
});

test('every version on every week, with the numbers of a direct evaluation', async () => {
  assert.equal(weekly.partitions.length, SMALL_DEMO.weeks);
  assert.ok(weekly.partitions.every((p) => new Date(p.start).getUTCDay() === 1), 'ISO weeks start on Monday');
  assert.equal(weekly.partitions[0]!.start, '2026-01-05T00:00:00.000Z');
  assert.equal(weekly.partitions.reduce((n, p) => n + p.rows, 0), SMALL_DEMO.rows);
  assert.equal(weekly.cells.length, 2 * SMALL_DEMO.weeks);

  // Week 10, v1: the same AUC as scoring the week's file and computing it directly.
  const { table, labels } = await readTable(demoWeekFile(ws, 10), { features: DEMO_FEATURES, label: 'defaulted' });
  const direct = computeMetrics(labels!, await scoreWith(bytesOf.get(1)!, table), { threshold: 0.5 });
  const cell = weekly.cells.find((c) => c.version === 1 && c.partition === weekly.partitions[9]!.start)!;
  assert.equal(cell.rows, table.rowCount);
  assert.ok(Math.abs(cell.metrics.auc! - direct.auc!) < 1e-9, `${cell.metrics.auc} vs ${direct.auc}`);
  assert.ok(Math.abs(cell.metrics.brier! - direct.brier!) < 1e-9);
  assert.ok(cell.aucCi && cell.aucCi[0] < cell.metrics.auc! && cell.metrics.auc! < cell.aucCi[1]);
  assert.deepEqual([...new Set(cell.slices.map((s) => s.column))], ['region', 'channel']);
  assert.ok(cell.fairness.age_band && cell.fairness.age_band.demographic_parity_difference !== null);
});

test('in-sample weeks are flagged and the drift shows in the early version', () => {
  const inTraining = (v: number) => weekly.cells.filter((c) => c.version === v && c.inTraining).map((c) => weekly.partitions.findIndex((p) => p.start === c.partition) + 1);
  assert.deepEqual(inTraining(1), [1, 2, 3, 4]);
  assert.deepEqual(inTraining(2), [9, 10, 11]);
  const meanAuc = (v: number, weeks: number[]) => weeks.reduce((s, w) => s + weekly.cells.find((c) => c.version === v && c.partition === weekly.partitions[w - 1]!.start)!.metrics.auc!, 0) / weeks.length;
  const before = meanAuc(1, [5, 6, 7, 8]);
  const afterDrift = meanAuc(1, [9, 10, 11, 12]);
  assert.ok(before - afterDrift > 0.02, `v1 AUC ${before.toFixed(3)} before the drift, ${afterDrift.toFixed(3)} after`);
  // A week under the 0.78 floor fails min_performance, as a run's gate would.
  const failing = weekly.cells.filter((c) => c.metrics.auc! < 0.78);
  assert.ok(failing.length > 0 && failing.every((c) => c.gates.some((g) => g.gate === 'min_performance' && g.verdict === 'fail')));
});

test('months partition the same rows', async () => {
  const monthly = await backtest({ ...input, versions: input.versions.slice(0, 1), by: 'month' });
  assert.deepEqual(monthly.partitions.map((p) => p.start.slice(0, 7)), ['2026-01', '2026-02', '2026-03']);
  assert.equal(monthly.partitions.reduce((n, p) => n + p.rows, 0), SMALL_DEMO.rows);
  assert.equal(monthly.partitions[1]!.end, '2026-03-01T00:00:00.000Z');
});

test('the HTML page draws one line per version on each metric chart', () => {
  const page = renderBacktestReport(weekly, '2026-06-01T00:00:00Z');
  for (const metric of ['auc', 'average_precision', 'brier', 'ece']) {
    const svg = page.slice(page.indexOf(`data-chart="backtest:${metric}"`));
    assert.match(svg, /data-series="v1" data-points="12"/, metric);
    assert.match(svg, /data-series="v2" data-points="12"/, metric);
  }
  assert.equal((page.match(/<tr><th scope="row">/g) ?? []).length, 12);
  assert.ok(!/NaN|undefined/.test(page));
  assert.ok(!/<script/i.test(page), 'self-contained and script-free');
});
