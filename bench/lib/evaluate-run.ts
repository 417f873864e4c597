/**
 * The measured side of the evaluation benchmark, in a process of its own so that its peak RSS is
 * the evaluation's and not the data generator's: reads the holdout and the drift reference, scores
 * both ONNX models, builds the evaluation report and the drift report, the way
 * evaluation/evaluate-models.ts does for `ratchet evaluate` and the retraining workflow. Writes the
 * two score arrays for the Python reference and prints one JSON line of timings.
 *
 *   node --import tsx bench/lib/evaluate-run.ts --dir DIR --replicates 1000 --seed 7
 *
 * The bootstrap runs on every core (validation/bootstrap-pool.ts decides), as it does in production.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readTable } from '../../data/read';
import { OnnxModel } from '../../scoring/onnx-model';
import { driftReport } from '../../validation/drift';
import { buildEvaluationReport } from '../../validation/report';
import {
  BASELINE_FEATURES,
  CANDIDATE_FEATURES,
  DRIFT_FEATURES,
  LABEL,
  PROTECTED_COLUMNS,
  SLICE_COLUMNS,
  stringColumn,
} from './evaluate-data';

export interface RunResult {
  seconds: { read: number; score: number; report: number; drift: number };
  maxRssBytes: number;
  rows: number;
  /** A few figures, to show that the run computed something real. */
  summary: { auc: number | null; aucCi: [number, number] | null; deltaAuc: number | null; deltaAucCi: [number, number] | null; driftedColumns: string[] };
}

const { values: flags } = parseArgs({
  options: { dir: { type: 'string' }, replicates: { type: 'string' }, seed: { type: 'string' } },
});
const dir = flags.dir!;

const seconds = { read: 0, score: 0, report: 0, drift: 0 };
let started = performance.now();
const lap = (phase: keyof typeof seconds) => {
  const now = performance.now();
  seconds[phase] = (now - started) / 1000;
  started = now;
};

const holdout = await readTable(`${dir}/holdout.parquet`, { features: CANDIDATE_FEATURES, extraColumns: PROTECTED_COLUMNS, label: LABEL });
const reference = await readTable(`${dir}/reference.parquet`, { features: DRIFT_FEATURES });
lap('read');

const candidateModel = await OnnxModel.load(readFileSync(`${dir}/candidate.onnx`), CANDIDATE_FEATURES, { intraOpNumThreads: 1 });
const baselineModel = await OnnxModel.load(readFileSync(`${dir}/baseline.onnx`), BASELINE_FEATURES, { intraOpNumThreads: 1 });
const scores = await candidateModel.scoreTable(holdout.table);
const baselineScores = await baselineModel.scoreTable(holdout.table);
await candidateModel.close();
await baselineModel.close();
lap('score');

// For the Python reference (not timed: the clock restarts after the writes).
writeFileSync(`${dir}/candidate.f64`, scores);
writeFileSync(`${dir}/baseline.f64`, baselineScores);
started = performance.now();

const pick = (names: string[]) => Object.fromEntries(names.map((name) => [name, stringColumn(holdout.table, name)]));
const report = buildEvaluationReport({
  labels: holdout.labels!,
  scores,
  baselineScores,
  sliceColumns: pick(SLICE_COLUMNS),
  protectedColumns: pick(PROTECTED_COLUMNS),
  threshold: 0.5,
  bootstrap: { replicates: Number(flags.replicates ?? 1000), seed: Number(flags.seed ?? 7), slices: true },
  minSliceRows: 100,
});
lap('report');

const drift = driftReport(reference.table, holdout.table, DRIFT_FEATURES);
lap('drift');

const result: RunResult = {
  seconds,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  rows: report.rows,
  summary: {
    auc: report.overall.auc,
    aucCi: report.ci.auc,
    deltaAuc: report.delta?.auc.value ?? null,
    deltaAucCi: report.delta?.auc.ci ?? null,
    driftedColumns: drift.drifted_columns,
  },
};
console.log(JSON.stringify(result));
