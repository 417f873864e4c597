/**
 * Report activity: render the approver's HTML report next to the run's evaluation, record its
 * path on the version. Re-rendering is harmless, so a retry simply writes the same file again.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ModelConfig } from '../core/config';
import { runDir } from '../core/paths';
import type { GateResult, SnapshotManifest } from '../core/types';
import { writeFileAtomic } from '../registry/atomic-file';
import { renderRunReport } from '../reports/run-report';
import { currentWorkflowId, type ActivityDeps } from './deps';
import { readCosts } from './cost';
import { readEvaluation, type ChampionRef, type EvaluationSummary } from './evaluation';
import type { TrainedCandidate } from './training';

export function createReportActivities({ paths, store, now = () => new Date() }: ActivityDeps) {
  return {
    async writeReport(input: {
      runId: string;
      config: ModelConfig;
      evaluation: EvaluationSummary;
      gates: GateResult[];
      version: number;
      snapshot: SnapshotManifest;
      candidate: TrainedCandidate;
      champion: ChampionRef | null;
    }): Promise<string> {
      const { config, candidate, snapshot } = input;
      const stored = await readEvaluation(input.evaluation.evaluationPath);
      const blocking = input.gates.filter((g) => g.blocking && g.verdict === 'fail' && !g.override);
      const html = renderRunReport({
        model: config.model,
        runId: input.runId,
        generatedAt: now().toISOString(),
        verdict: blocking.length ? 'rejected' : 'awaiting_approval',
        verdictNote: blocking.length
          ? `${blocking.length} blocking gate${blocking.length > 1 ? 's' : ''} failed: ${blocking.map((g) => g.gate).join(', ')}`
          : `all blocking gates passed; awaiting approval by ${config.approval.approvers.join(' or ')}`,
        candidate: { version: input.version, sha256: candidate.sha256, trainer: candidate.trainer, params: candidate.params, bytes: candidate.bytes },
        champion: input.champion,
        snapshot: { snapshotId: snapshot.snapshotId, contentSha256: snapshot.contentSha256, rows: snapshot.rows, timeRange: snapshot.timeRange, source: snapshot.source },
        evaluation: stored.report,
        gates: input.gates,
        drift: stored.drift ? { columns: stored.drift.columns, warn: stored.drift.thresholds.psi_warn, alert: stored.drift.thresholds.psi_drift } : undefined,
        importance: stored.importance
          ? { candidate: stored.importance.candidate.features, champion: stored.importance.baseline?.features }
          : undefined,
        card: {
          description: config.description,
          owner: config.owner,
          intendedUse: config.intended_use,
          limitations: config.limitations,
          features: config.features,
          segments: config.segments,
          protected: config.protected,
          threshold: config.threshold,
        },
        cost: { stages: await readCosts(runDir(paths, input.runId)), artifactBytes: candidate.bytes, snapshotBytes: await sizeOf(snapshot.path) },
      });
      const reportPath = path.join(runDir(paths, input.runId), 'report.html');
      await writeFileAtomic(reportPath, html);
      const current = await store.getVersion(config.model, input.version);
      if (current.reportPath !== reportPath) {
        await store.updateVersion(config.model, input.version, { reportPath }, {
          actor: 'ratchet',
          reason: 'evaluation report written',
          workflowId: currentWorkflowId(),
        });
      }
      return reportPath;
    },
  };
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}
