/**
 * Evaluation activities: candidate and champion on the same holdout (evaluation/), feature drift
 * of the fresh data against the champion's training snapshot, and the gates. The full result is a
 * file in the run's folder; only a summary travels through workflow history.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { heartbeat } from '@temporalio/activity';
import type { ModelConfig } from '../core/config';
import { runDir } from '../core/paths';
import type { GateResult, SplitManifest } from '../core/types';
import { readTable } from '../data/read';
import { evaluateModels } from '../evaluation/evaluate-models';
import { writeFileAtomic } from '../registry/atomic-file';
import { blockingFailures, driftReport, runGates as judge, type DriftReport, type EvaluationReport, type ImportanceResult, type MetricSet } from '../validation';
import { withCost } from './cost';
import type { ActivityDeps } from './deps';
import type { TrainedCandidate } from './training';

export interface ChampionRef {
  version: number;
  sha256: string;
}

/** Everything the evaluation produced, as stored in the run's evaluation.json. */
export interface RunEvaluation {
  report: EvaluationReport;
  importance?: { candidate: ImportanceResult; baseline?: ImportanceResult };
  drift: DriftReport | null;
  /** Why there is no drift report, when there is none. */
  driftNote?: string;
  latencyP99MsPerRow: number | null;
  artifactBytes: number;
}

interface EvaluateInput {
  runId: string;
  config: ModelConfig;
  split: SplitManifest;
  candidate: TrainedCandidate;
  champion: ChampionRef | null;
}

export interface EvaluationSummary {
  evaluationPath: string;
  rows: number;
  candidateMetrics: Record<string, number | null>;
  championMetrics: Record<string, number | null> | null;
  latencyP99MsPerRow: number | null;
  artifactBytes: number;
  driftedColumns: string[];
}

export function createEvaluationActivities({ paths, store }: ActivityDeps) {
  return {
    async evaluateCandidate(input: EvaluateInput): Promise<EvaluationSummary> {
      return withCost(paths, input.runId, 'evaluating', () => evaluateOnce(input));
    },

    async runGates({ config, evaluation, hasChampion }: { config: ModelConfig; evaluation: EvaluationSummary; hasChampion: boolean }): Promise<{ results: GateResult[]; blockingFailures: string[] }> {
      const stored = await readEvaluation(evaluation.evaluationPath);
      const { importance } = stored;
      const results = judge(stored.report, config.gates, {
        hasChampion,
        importance: importance?.baseline ? { candidate: importance.candidate.features, champion: importance.baseline.features } : undefined,
        latencyP99MsPerRow: stored.latencyP99MsPerRow ?? undefined,
        artifactBytes: stored.artifactBytes,
      });
      return { results, blockingFailures: blockingFailures(results).map((g) => g.gate) };
    },
  };

  async function evaluateOnce({ runId, config, split, candidate, champion }: EvaluateInput): Promise<EvaluationSummary> {

    const championVersion = champion ? await store.getVersion(config.model, champion.version) : null;
    const evaluated = await evaluateModels({
      dataPath: split.holdout.path,
      label: config.label,
      candidate: { bytes: await readFile(candidate.modelPath), features: config.features },
      baseline: championVersion ? { bytes: await store.readArtifact(config.model, championVersion.version), features: championVersion.features } : undefined,
      sliceColumns: config.segments,
      protectedColumns: config.protected,
      threshold: config.threshold,
      bootstrap: { replicates: config.evaluation.bootstrap, seed: config.evaluation.seed },
      minSliceRows: config.evaluation.min_slice_rows,
      importance: { metric: 'auc', repeats: 3, maxRows: 5000 },
      onProgress: (step) => heartbeat({ step }),
    });

    // Drift of the fresh holdout against what the champion was trained on.
    heartbeat({ step: 'drift' });
    let drift: DriftReport | null = null;
    let driftNote: string | undefined;
    const reference = championVersion?.snapshot ? path.join(paths.snapshots, config.model, `${championVersion.snapshot.snapshotId}.parquet`) : null;
    if (!reference) driftNote = 'no champion yet: nothing to compare the data with';
    else if (!existsSync(reference)) driftNote = `the champion's training snapshot ${reference} is no longer on disk`;
    else {
      const { table } = await readTable(reference, { features: config.features });
      drift = driftReport(table, evaluated.table, config.features);
    }

    const stored: RunEvaluation = {
      report: evaluated.report,
      importance: evaluated.importance,
      drift,
      driftNote,
      latencyP99MsPerRow: evaluated.latencyP99MsPerRow,
      artifactBytes: candidate.bytes,
    };
    const dir = runDir(paths, runId);
    await mkdir(dir, { recursive: true });
    const evaluationPath = path.join(dir, 'evaluation.json');
    await writeFileAtomic(evaluationPath, JSON.stringify(stored));
    return {
      evaluationPath,
      rows: evaluated.report.rows,
      candidateMetrics: metricValues(evaluated.report.overall),
      championMetrics: evaluated.report.baseline ? metricValues(evaluated.report.baseline.overall) : null,
      latencyP99MsPerRow: evaluated.latencyP99MsPerRow,
      artifactBytes: candidate.bytes,
      driftedColumns: drift?.columns.filter((c) => c.drifted).map((c) => c.column) ?? [],
    };
  }
}

export async function readEvaluation(file: string): Promise<RunEvaluation> {
  return JSON.parse(await readFile(file, 'utf8')) as RunEvaluation;
}

function metricValues(set: MetricSet): Record<string, number | null> {
  const { reasons: _reasons, ...values } = set;
  return values;
}
