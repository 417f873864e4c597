/**
 * Evaluate a model (and optionally a baseline) on a data file: read the columns with DuckDB,
 * score through onnxruntime, and build the report with validation/. Shared by the retraining
 * workflow's evaluation activity and `ratchet evaluate`, so a back-test and a gate see the same
 * numbers.
 */
import type { ColumnTable, FeatureSpec } from '../core/types';
import { readTable } from '../data/read';
import { OnnxModel } from '../scoring/onnx-model';
import {
  buildEvaluationReport,
  checkGolden,
  permutationImportance,
  type EvaluationReport,
  type GoldenCase,
  type GoldenResult,
  type ImportanceResult,
  type MetricName,
} from '../validation';

export interface ModelUnderTest {
  bytes: Uint8Array;
  features: FeatureSpec[];
}

export interface EvaluateModelsInput {
  dataPath: string;
  label: string;
  candidate: ModelUnderTest;
  baseline?: ModelUnderTest;
  sliceColumns: string[];
  protectedColumns: string[];
  threshold: number;
  bootstrap: { replicates: number; seed: number };
  minSliceRows: number;
  /** Golden cases: a file of rows with an `id` column plus the cases' expectations. */
  golden?: { dataPath: string; cases: GoldenCase[] };
  /** Permutation importance on at most `maxRows` rows (it rescores the table per feature and repeat). */
  importance?: { metric: MetricName; repeats: number; maxRows: number };
  /** Rows scored one at a time to measure per-row latency; 0 to skip. */
  latencyRows?: number;
  onProgress?: (step: string) => void;
}

export interface EvaluatedModels {
  report: EvaluationReport;
  golden?: GoldenResult;
  importance?: { candidate: ImportanceResult; baseline?: ImportanceResult };
  latencyP99MsPerRow: number | null;
  /** The holdout as read, for callers that go on (drift of the same rows). */
  table: ColumnTable;
}

export async function evaluateModels(input: EvaluateModelsInput): Promise<EvaluatedModels> {
  const progress = input.onProgress ?? (() => {});
  const features = unionFeatures(input.candidate.features, input.baseline?.features ?? []);
  const extra = [...new Set([...input.sliceColumns, ...input.protectedColumns])].filter((c) => !features.some((f) => f.name === c));
  progress('reading data');
  const { table, labels } = await readTable(input.dataPath, { features, extraColumns: extra, label: input.label });

  const candidate = await OnnxModel.load(input.candidate.bytes, input.candidate.features, { intraOpNumThreads: 1 });
  const baseline = input.baseline ? await OnnxModel.load(input.baseline.bytes, input.baseline.features, { intraOpNumThreads: 1 }) : null;
  try {
    progress('scoring');
    const scores = await candidate.scoreTable(table);
    const baselineScores = baseline ? await baseline.scoreTable(table) : undefined;
    const latencyP99MsPerRow = input.latencyRows === 0 ? null : await measureRowLatency(candidate, table, input.latencyRows ?? 300);

    progress('metrics and bootstrap');
    const pick = (cols: string[]) => Object.fromEntries(cols.map((c) => [c, asStrings(table.columns[c], c)]));
    const report = buildEvaluationReport({
      labels: labels!,
      scores,
      baselineScores,
      sliceColumns: pick(input.sliceColumns),
      protectedColumns: pick(input.protectedColumns),
      threshold: input.threshold,
      bootstrap: { ...input.bootstrap, slices: true },
      minSliceRows: input.minSliceRows,
    });

    let golden: GoldenResult | undefined;
    if (input.golden) {
      progress('golden set');
      const cases = await readTable(input.golden.dataPath, { features: input.candidate.features });
      golden = checkGolden(input.golden.cases, await candidate.scoreTable(cases.table), input.threshold);
    }

    let importance: EvaluatedModels['importance'];
    if (input.importance) {
      progress('permutation importance');
      const { sample, sampleLabels } = headRows(table, labels!, input.importance.maxRows);
      const options = { metric: input.importance.metric, repeats: input.importance.repeats, seed: input.bootstrap.seed, threshold: input.threshold };
      const names = (m: ModelUnderTest) => m.features.map((f) => f.name);
      const forCandidate = await permutationImportance((t) => candidate.scoreTable(t), sample, sampleLabels, names(input.candidate), options);
      const forBaseline = baseline ? await permutationImportance((t) => baseline.scoreTable(t), sample, sampleLabels, names(input.baseline!), options) : undefined;
      importance = { candidate: forCandidate, baseline: forBaseline };
    }
    return { report, golden, importance, latencyP99MsPerRow, table };
  } finally {
    await candidate.close();
    await baseline?.close();
  }
}

export function unionFeatures(a: FeatureSpec[], b: FeatureSpec[]): FeatureSpec[] {
  const byName = new Map(a.map((f) => [f.name, f]));
  for (const f of b) if (!byName.has(f.name)) byName.set(f.name, f);
  return [...byName.values()];
}

function asStrings(column: ColumnTable['columns'][string] | undefined, name: string): (string | null)[] {
  if (!column) throw new Error(`column "${name}" is missing from the data; check the slice/protected columns`);
  if (column instanceof Float64Array) return Array.from(column, (v) => (Number.isNaN(v) ? null : String(v)));
  return column;
}

/** The first `n` rows: the holdout is time-ordered, so this is a contiguous, reproducible sample. */
function headRows(table: ColumnTable, labels: Float64Array, n: number): { sample: ColumnTable; sampleLabels: Float64Array } {
  if (table.rowCount <= n) return { sample: table, sampleLabels: labels };
  const columns: ColumnTable['columns'] = {};
  for (const [name, col] of Object.entries(table.columns)) columns[name] = col.slice(0, n);
  return { sample: { rowCount: n, columns }, sampleLabels: labels.slice(0, n) };
}

/** p99 of single-row scoring time in ms: what one request costs the serving worker's model call. */
async function measureRowLatency(model: OnnxModel, table: ColumnTable, rows: number): Promise<number | null> {
  const n = Math.min(rows, table.rowCount);
  if (n === 0) return null;
  const names = Object.keys(table.columns);
  const timings: number[] = [];
  for (let i = 0; i < n; i++) {
    const row: Record<string, number | string | null> = {};
    for (const name of names) {
      const col = table.columns[name]!;
      row[name] = col instanceof Float64Array ? (Number.isNaN(col[i]!) ? null : col[i]!) : col[i]!;
    }
    const start = process.hrtime.bigint();
    await model.scoreRows([row]);
    timings.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  timings.sort((x, y) => x - y);
  return timings[Math.min(timings.length - 1, Math.ceil(0.99 * timings.length) - 1)]!;
}
