/**
 * Back-testing: every given model version evaluated on every calendar partition (week or month)
 * of the model's source, with the evaluation the gates use (evaluation/evaluate-models: metrics,
 * bootstrap intervals, slices, fairness) and the gates that need no champion, so "how would v3
 * have done in March" has the same numbers a run's report would show.
 *
 * A version evaluated on a partition it was trained on is flagged (`inTraining`): those numbers
 * are in-sample and flatter the version.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FeatureSpec, TimeRange, Verdict } from '../core/types';
import { writeTimePartitions, type PartitionUnit, type TimePartition } from '../data/partitions';
import type { DataSource } from '../data/source';
import { METRIC_NAMES, runGates, type GateConfig, type Interval, type MetricValues } from '../validation';
import { evaluateModels } from './evaluate-models';

export interface BacktestVersion {
  version: number;
  bytes: Uint8Array;
  features: FeatureSpec[];
  threshold: number;
  /** The time range of the version's training snapshot, if known. */
  trainedOn: TimeRange | null;
}

export interface BacktestInput {
  model: string;
  source: DataSource;
  timeColumn: string;
  label: string;
  segments: string[];
  protected: string[];
  gates: GateConfig;
  bootstrap: { replicates: number; seed: number };
  minSliceRows: number;
  by: PartitionUnit;
  versions: BacktestVersion[];
  onProgress?: (step: string) => void;
}

export interface BacktestCell {
  version: number;
  /** Start of the partition (ISO). */
  partition: string;
  rows: number;
  metrics: MetricValues;
  aucCi: Interval | null;
  slices: { column: string; value: string; rows: number; auc: number | null; status: string }[];
  fairness: Record<string, { demographic_parity_difference: number | null; equalized_odds_difference: number | null; disparate_impact_ratio: number | null }>;
  /** Gates (those that need no champion) that did not pass: what a first run on this data would have reported. */
  gates: { gate: string; verdict: Verdict; blocking: boolean }[];
  inTraining: boolean;
  notes: string[];
}

export interface BacktestResult {
  model: string;
  by: PartitionUnit;
  partitions: { start: string; end: string; rows: number }[];
  versions: { version: number; threshold: number; trainedOn: TimeRange | null }[];
  cells: BacktestCell[];
}

export async function backtest(input: BacktestInput): Promise<BacktestResult> {
  if (input.versions.length === 0) throw new Error('backtest: no versions to evaluate; pass --versions 1,2,…');
  const progress = input.onProgress ?? (() => {});
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'ratchet-backtest-'));
  try {
    progress(`partitioning by ${input.by}`);
    const partitions = await writeTimePartitions({ source: input.source, timeColumn: input.timeColumn, by: input.by, outDir: workDir });
    const cells: BacktestCell[] = [];
    for (const [i, partition] of partitions.entries()) {
      for (const version of input.versions) {
        progress(`${input.by} ${i + 1}/${partitions.length} (${partition.start.slice(0, 10)}): v${version.version}`);
        cells.push(await evaluateCell(input, partition, version));
      }
    }
    return {
      model: input.model,
      by: input.by,
      partitions: partitions.map(({ start, end, rows }) => ({ start, end, rows })),
      versions: input.versions.map(({ version, threshold, trainedOn }) => ({ version, threshold, trainedOn })),
      cells,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function evaluateCell(input: BacktestInput, partition: TimePartition, version: BacktestVersion): Promise<BacktestCell> {
  const { report } = await evaluateModels({
    dataPath: partition.path,
    label: input.label,
    candidate: { bytes: version.bytes, features: version.features },
    sliceColumns: input.segments,
    protectedColumns: input.protected,
    threshold: version.threshold,
    bootstrap: input.bootstrap,
    minSliceRows: input.minSliceRows,
    latencyRows: 0,
  });
  const { reasons, ...values } = report.overall;
  const metrics = Object.fromEntries(METRIC_NAMES.map((m) => [m, values[m]])) as MetricValues;
  const gates = runGates(report, input.gates, { hasChampion: false })
    .filter((g) => g.verdict === 'fail' || g.verdict === 'warn')
    .map((g) => ({ gate: g.gate, verdict: g.verdict, blocking: g.blocking }));
  return {
    version: version.version,
    partition: partition.start,
    rows: report.rows,
    metrics,
    aucCi: report.ci.auc,
    slices: report.slices.map((s) => ({ column: s.column, value: s.value, rows: s.rows, auc: s.auc, status: s.status })),
    fairness: Object.fromEntries(
      Object.entries(report.fairness).map(([column, f]) => [
        column,
        { demographic_parity_difference: f.demographic_parity_difference, equalized_odds_difference: f.equalized_odds_difference, disparate_impact_ratio: f.disparate_impact_ratio },
      ]),
    ),
    gates,
    inTraining: version.trainedOn !== null && overlaps(version.trainedOn, partition),
    notes: [...report.notes, ...Object.entries(reasons).map(([m, r]) => `${m}: ${r}`)],
  };
}

function overlaps(trained: TimeRange, partition: TimePartition): boolean {
  return Date.parse(trained.from) < Date.parse(partition.end) && Date.parse(trained.to) >= Date.parse(partition.start);
}
