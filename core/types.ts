/**
 * Records shared by every module. Plain, JSON-serialisable data: most of them cross Temporal's
 * payload boundary, so no classes, Maps or typed arrays here (ColumnTable is the one exception and
 * never leaves a process).
 */

export type FeatureType = 'numeric' | 'categorical';

export interface FeatureSpec {
  name: string;
  type: FeatureType;
}

/** A value as it arrives in a request or a log row. */
export type FeatureValue = number | string | boolean | null;
export type FeatureRow = Record<string, FeatureValue>;

/**
 * Column-oriented data inside one process. Numbers are Float64Array with NaN for missing;
 * categories are arrays of string or null.
 */
export type Column = Float64Array | (string | null)[];
export interface ColumnTable {
  rowCount: number;
  columns: Record<string, Column>;
}

export interface TimeRange {
  from: string; // ISO-8601
  to: string; // ISO-8601
}

/** An immutable data snapshot: one Parquet file plus what it holds. */
export interface SnapshotManifest {
  snapshotId: string; // first 16 hex chars of contentSha256
  model: string;
  path: string; // absolute path of the Parquet file
  rows: number;
  schema: { name: string; type: string }[];
  timeColumn: string;
  window: TimeRange; // what was asked for (from inclusive, to exclusive)
  timeRange: TimeRange | null; // min/max actually present; null when empty
  contentSha256: string;
  source: string; // human-readable description of where it came from
  createdAt: string;
}

export interface SplitPart {
  path: string;
  rows: number;
  timeRange: TimeRange | null;
  positiveRate: number | null;
}

export interface SplitManifest {
  snapshotId: string;
  train: SplitPart;
  valid: SplitPart;
  holdout: SplitPart;
}

export type Verdict = 'pass' | 'warn' | 'fail' | 'insufficient_data' | 'skipped';

export interface GateOverride {
  by: string;
  reason: string;
  at: string;
}

/** One gate's typed verdict: a failed validation is data, never an exception. */
export interface GateResult {
  gate: string; // e.g. "min_performance", "non_regression", "slice_non_regression:region=north"
  verdict: Verdict;
  blocking: boolean;
  value: number | null;
  threshold: number | null;
  evidence: string; // one sentence in words: candidate, baseline, threshold
  override?: GateOverride;
}

export type VersionStatus = 'candidate' | 'rejected' | 'approved' | 'champion' | 'previous' | 'archived';

export interface ArtifactRef {
  sha256: string;
  bytes: number;
}

export interface ModelVersion {
  model: string;
  version: number; // 1, 2, 3 ... per model
  status: VersionStatus;
  artifact: ArtifactRef;
  createdAt: string;
  runId: string; // the workflow id that registered it; registration is idempotent on it
  trainer: { kind: string; params: Record<string, unknown> };
  features: FeatureSpec[];
  threshold: number; // score >= threshold predicts the positive class
  snapshot: { snapshotId: string; contentSha256: string; rows: number; timeRange: TimeRange | null } | null;
  metrics: Record<string, number | null>;
  gates: GateResult[];
  reportPath: string | null;
  tags: Record<string, string>;
}

export type NewVersion = Omit<ModelVersion, 'version' | 'status' | 'artifact' | 'createdAt'> & {
  status?: VersionStatus;
};

export type RoutingMode = 'none' | 'shadow' | 'canary';

export interface Routing {
  model: string;
  champion: number | null;
  previous: number | null;
  candidate: number | null;
  mode: RoutingMode;
  percent: number; // share of traffic (0..100) the candidate serves in canary mode
  revision: number; // +1 on every change
  updatedAt: string;
}

export type RoutingPatch = Partial<Pick<Routing, 'champion' | 'previous' | 'candidate' | 'mode' | 'percent'>>;

/** Who is changing something and why: every status or routing change carries one. */
export interface AuditContext {
  actor: string;
  reason: string;
  workflowId?: string;
}

export interface AuditRecord {
  at: string;
  model: string;
  actor: string;
  action: string; // "register", "status", "routing", "override", "incident", ...
  reason: string;
  workflowId?: string;
  version?: number;
  details?: Record<string, unknown>;
}
