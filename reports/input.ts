/**
 * What the approver's report is rendered from. Everything is plain data the workflow already has
 * (registry records, the evaluation report, gate results), so rendering is a pure function.
 */
import type { FeatureSpec, GateResult, TimeRange } from '../core/types';
import type { EvaluationReport } from '../validation/types';

export interface SplitPartSummary {
  rows: number;
  timeRange: TimeRange | null;
}

/**
 * The part of validation/drift.ts's per-column report the page shows. Structural on purpose: the
 * report module reads drift results without depending on how they are computed.
 */
export interface DriftColumnSummary {
  column: string;
  psi: number | null;
  verdict: string;
}

export interface DriftSummary {
  columns: DriftColumnSummary[];
  /** PSI levels at which a column is flagged (warn) and judged drifted (alert). */
  warn: number;
  alert: number;
}

export interface ImportanceSummary {
  feature: string;
  mean: number;
  std: number;
}

export interface CostStage {
  stage: string;
  wallMs: number;
  cpuMs?: number;
  peakRssBytes?: number;
}

export interface RunReportInput {
  model: string;
  runId: string;
  /** ISO-8601; passed in because rendering is pure (no clock inside). */
  generatedAt: string;
  verdict: 'awaiting_approval' | 'rejected' | 'approved' | 'promoted' | 'failed' | 'expired' | (string & {});
  /** One sentence saying why; derived from the gates when absent. */
  verdictNote?: string;
  candidate: { version: number | null; sha256: string; trainer: string; params: Record<string, unknown>; bytes: number };
  champion: { version: number; sha256: string } | null;
  snapshot: { snapshotId: string; contentSha256: string; rows: number; timeRange: TimeRange | null; source: string };
  split?: { train: SplitPartSummary; valid: SplitPartSummary; holdout: SplitPartSummary };
  evaluation: EvaluationReport;
  gates: GateResult[];
  card: {
    description: string;
    owner: string;
    intendedUse: string;
    limitations: string[];
    features: FeatureSpec[];
    segments: string[];
    protected: string[];
    threshold: number;
  };
  drift?: DriftSummary;
  importance?: { candidate: ImportanceSummary[]; champion?: ImportanceSummary[] };
  cost?: { stages: CostStage[]; artifactBytes: number; snapshotBytes?: number };
  approval?: { by: string; comment: string; at: string } | null;
}
