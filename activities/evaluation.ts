/**
 * Evaluation activities: score candidate and champion on the same holdout through onnxruntime,
 * build the report with validation/, judge it with the gates. The full report is a file in the
 * run's folder; only a summary travels through workflow history.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { heartbeat } from '@temporalio/activity';
import type { ModelConfig } from '../core/config';
import { runDir } from '../core/paths';
import type { ColumnTable, FeatureSpec, GateResult, SplitManifest } from '../core/types';
import { writeFileAtomic } from '../registry/atomic-file';
import { readTable } from '../data/read';
import { OnnxModel } from '../scoring/onnx-model';
import { blockingFailures, buildEvaluationReport, runGates as judge, type EvaluationReport, type MetricSet } from '../validation';
import type { ActivityDeps } from './deps';
import type { TrainedCandidate } from './training';

export interface ChampionRef {
  version: number;
  sha256: string;
}

export interface EvaluationSummary {
  evaluationPath: string; // the full EvaluationReport as JSON
  rows: number;
  candidateMetrics: Record<string, number | null>;
  championMetrics: Record<string, number | null> | null;
  latencyP99MsPerRow: number;
  artifactBytes: number;
}

/** Rows scored one at a time to measure the serving-like latency of the artifact. */
const LATENCY_SAMPLE_ROWS = 300;

export function createEvaluationActivities({ paths, store }: ActivityDeps) {
  return {
    async evaluateCandidate({
      runId,
      config,
      split,
      candidate,
      champion,
    }: {
      runId: string;
      config: ModelConfig;
      split: SplitManifest;
      candidate: TrainedCandidate;
      champion: ChampionRef | null;
    }): Promise<EvaluationSummary> {
      const championVersion = champion ? await store.getVersion(config.model, champion.version) : null;
      const features = unionFeatures(config.features, championVersion?.features ?? []);
      const extra = [...new Set([...config.segments, ...config.protected])].filter((c) => !features.some((f) => f.name === c));
      heartbeat({ step: 'reading holdout' });
      const { table, labels } = await readTable(split.holdout.path, { features, extraColumns: extra, label: config.label });

      heartbeat({ step: 'scoring candidate' });
      const candidateModel = await OnnxModel.load(await readFile(candidate.modelPath), config.features);
      let scores: Float64Array;
      let latencyP99MsPerRow: number;
      try {
        scores = await candidateModel.scoreTable(table);
        latencyP99MsPerRow = await measureRowLatency(candidateModel, table);
      } finally {
        await candidateModel.close();
      }

      let baselineScores: Float64Array | undefined;
      if (championVersion) {
        heartbeat({ step: 'scoring champion' });
        const championModel = await OnnxModel.load(await store.readArtifact(config.model, championVersion.version), championVersion.features);
        try {
          baselineScores = await championModel.scoreTable(table);
        } finally {
          await championModel.close();
        }
      }

      heartbeat({ step: 'metrics and bootstrap' });
      const pick = (cols: string[]) => Object.fromEntries(cols.map((c) => [c, asStrings(table.columns[c], c)]));
      const report = buildEvaluationReport({
        labels: labels!,
        scores,
        baselineScores,
        sliceColumns: pick(config.segments),
        protectedColumns: pick(config.protected),
        threshold: config.threshold,
        bootstrap: { replicates: config.evaluation.bootstrap, seed: config.evaluation.seed, slices: true },
        minSliceRows: config.evaluation.min_slice_rows,
      });

      const dir = runDir(paths, runId);
      await mkdir(dir, { recursive: true });
      const evaluationPath = path.join(dir, 'evaluation.json');
      await writeFileAtomic(evaluationPath, JSON.stringify(report, null, 1));
      return {
        evaluationPath,
        rows: report.rows,
        candidateMetrics: metricValues(report.overall),
        championMetrics: report.baseline ? metricValues(report.baseline.overall) : null,
        latencyP99MsPerRow,
        artifactBytes: candidate.bytes,
      };
    },

    async runGates({
      config,
      evaluation,
      hasChampion,
    }: {
      config: ModelConfig;
      evaluation: EvaluationSummary;
      hasChampion: boolean;
    }): Promise<{ results: GateResult[]; blockingFailures: string[] }> {
      const report = JSON.parse(await readFile(evaluation.evaluationPath, 'utf8')) as EvaluationReport;
      const results = judge(report, config.gates, {
        hasChampion,
        latencyP99MsPerRow: evaluation.latencyP99MsPerRow,
        artifactBytes: evaluation.artifactBytes,
      });
      return { results, blockingFailures: blockingFailures(results).map((g) => g.gate) };
    },
  };
}

function metricValues(set: MetricSet): Record<string, number | null> {
  const { reasons: _reasons, ...values } = set;
  return values;
}

function unionFeatures(a: FeatureSpec[], b: FeatureSpec[]): FeatureSpec[] {
  const byName = new Map(a.map((f) => [f.name, f]));
  for (const f of b) if (!byName.has(f.name)) byName.set(f.name, f);
  return [...byName.values()];
}

function asStrings(column: ColumnTable['columns'][string] | undefined, name: string): (string | null)[] {
  if (!column) throw new Error(`column "${name}" is missing from the holdout; check segments/protected in the model config`);
  if (column instanceof Float64Array) return Array.from(column, (v) => (Number.isNaN(v) ? null : String(v)));
  return column;
}

/** p99 of single-row scoring time, in ms: what one request costs the serving worker's model call. */
async function measureRowLatency(model: OnnxModel, table: ColumnTable): Promise<number> {
  const n = Math.min(LATENCY_SAMPLE_ROWS, table.rowCount);
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
  return timings.length ? timings[Math.min(timings.length - 1, Math.ceil(0.99 * timings.length) - 1)]! : 0;
}
