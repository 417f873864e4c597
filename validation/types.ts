/**
 * Record types of the validation module. Everything here is plain JSON-serialisable data: an
 * EvaluationReport is stored in the registry next to the model version and crosses Temporal's
 * payload boundary, so no typed arrays, no NaN, no Infinity. An undefined quantity is `null`
 * with a reason in words next to it.
 *
 * Field names are snake_case where they mirror the CLI's JSON output (`overall.auc`,
 * `ci.auc`, `delta.auc.ci`, `fairness.sex.demographic_parity_difference`).
 */

export const METRIC_NAMES = [
  'auc',
  'average_precision',
  'log_loss',
  'brier',
  'accuracy',
  'precision',
  'recall',
  'f1',
  'positive_rate',
  'ece',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

/** One value per metric; null when the metric is undefined on these rows (see `reasons`). */
export type MetricValues = Record<MetricName, number | null>;

/**
 * Every metric on one set of rows. `reasons[m]` is present when `m` is null (why it is undefined)
 * and also when a value is a convention rather than a measurement, e.g. precision 0 with no
 * predicted positives (scikit-learn's zero_division=0).
 */
export type MetricSet = MetricValues & { reasons: Partial<Record<MetricName, string>> };

/** A percentile confidence interval [low, high], or null when too few replicates were defined. */
export type Interval = [number, number];
export type IntervalSet = Record<MetricName, Interval | null>;

/** A paired difference model − baseline: the point value on the full data and its bootstrap CI. */
export interface DeltaEstimate {
  value: number | null;
  ci: Interval | null;
  reason?: string;
}
export type DeltaSet = Record<MetricName, DeltaEstimate>;

/** How the intervals of a report were obtained, and how many replicates each metric lost. */
export interface BootstrapSummary {
  method: 'percentile';
  replicates: number;
  seed: number;
  confidence: number;
  /** Replicates in which the metric was undefined (e.g. a resample with one class): skipped. */
  skipped: Partial<Record<MetricName, number>>;
  /** Whether slices got their own (paired) intervals from the same resamples. */
  slices: boolean;
}

export type SliceStatus = 'ok' | 'insufficient_data';

/** One slice: `{ column, value, rows, status, ...metrics }` as in the CLI JSON. */
export type SliceReport = {
  column: string;
  /** The slice value; a null cell is its own slice named MISSING_VALUE_TOKEN ("(missing)"). */
  value: string;
  /** Labelled rows in the slice. */
  rows: number;
  /** insufficient_data below minSliceRows: reported, never judged. */
  status: SliceStatus;
  ci?: IntervalSet;
  baseline?: MetricSet;
  delta?: DeltaSet;
} & MetricSet;

/** One group of a protected attribute: `{ value, rows, selection_rate, tpr, fpr, ...metrics }`. */
export type FairnessGroup = {
  value: string;
  rows: number;
  positives: number;
  negatives: number;
  selection_rate: number | null;
  /** Fairlearn convention: a group with no positives has TPR 0 (see fairness.ts). */
  tpr: number | null;
  /** Fairlearn convention: a group with no negatives has FPR 0. */
  fpr: number | null;
} & MetricValues & { reasons: Partial<Record<MetricName | 'selection_rate' | 'tpr' | 'fpr', string>> };

export interface FairnessReport {
  column: string;
  demographic_parity_difference: number | null;
  demographic_parity_ratio: number | null;
  equalized_odds_difference: number | null;
  equalized_odds_ratio: number | null;
  /** The four-fifths rule's ratio: identical to demographic_parity_ratio, named for the gate. */
  disparate_impact_ratio: number | null;
  groups: FairnessGroup[];
  /**
   * Per metric, max − min across the groups where it is defined (null below two such groups).
   * Always written by fairnessReport; optional so that hand-made reports stay valid.
   */
  metric_gaps?: Record<MetricName, number | null>;
  reasons: Partial<
    Record<
      | 'demographic_parity_difference'
      | 'demographic_parity_ratio'
      | 'equalized_odds_difference'
      | 'equalized_odds_ratio'
      | 'disparate_impact_ratio',
      string
    >
  >;
}

export interface ChurnResult {
  /** Share of the rows the baseline classified correctly that the model gets wrong. */
  value: number | null;
  baseline_correct: number;
  flipped_to_wrong: number;
  reason?: string;
}

export interface CurvePoint {
  x: number;
  y: number;
  /** The score cut-off of this point; null for the curve's start, "above every score". */
  threshold: number | null;
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  rows: number;
  mean_score: number | null;
  positive_rate: number | null;
}

export interface Curves {
  /** x = false positive rate, y = true positive rate. */
  roc: CurvePoint[];
  /** x = recall, y = precision. */
  pr: CurvePoint[];
  reliability: ReliabilityBin[];
}

export interface EvaluationReport {
  /** Labelled rows the metrics are computed on. */
  rows: number;
  /** Rows with a NaN label: excluded from everything, counted here. */
  unlabelledRows: number;
  /** Labelled rows with a NaN candidate score (which makes every candidate metric null). */
  nanScoreRows: number;
  threshold: number;
  overall: MetricSet;
  ci: IntervalSet;
  bootstrap: BootstrapSummary;
  slices: SliceReport[];
  fairness: Record<string, FairnessReport>;
  curves: Curves;
  /** The champion on the same rows: its metrics, intervals, curves and fairness, for comparison. */
  baseline?: {
    overall: MetricSet;
    ci: IntervalSet;
    nanScoreRows: number;
    curves: Curves;
    /** Always written by buildEvaluationReport; optional so that hand-made reports stay valid. */
    fairness?: Record<string, FairnessReport>;
  };
  delta?: DeltaSet;
  churn?: ChurnResult;
  notes: string[];
}

/** Input of buildEvaluationReport. Columns are row-aligned with labels and scores. */
export interface EvaluationInput {
  labels: Float64Array;
  scores: Float64Array;
  baselineScores?: Float64Array;
  sliceColumns: Record<string, (string | null)[]>;
  protectedColumns: Record<string, (string | null)[]>;
  threshold: number;
  bootstrap: { replicates: number; seed: number; slices?: boolean };
  minSliceRows: number;
  /** Two-sided confidence level of the percentile intervals; default 0.95. */
  confidence?: number;
}

/** Gate configuration: the YAML config loader maps onto exactly this shape. */
export interface GateConfig {
  min_performance?: { metric: MetricName; min: number; ratchet?: boolean; margin?: number; blocking?: boolean };
  non_regression?: { metric: MetricName; max_drop: number; blocking?: boolean };
  slice_non_regression?: { metric: MetricName; max_drop: number; min_rows: number; blocking?: boolean };
  fairness?: {
    max_demographic_parity_difference?: number;
    max_equalized_odds_difference?: number;
    min_disparate_impact_ratio?: number;
    max_group_metric_gap?: { metric: MetricName; max: number };
    blocking?: boolean;
  };
  golden?: { max_failures?: number; blocking?: boolean };
  churn?: { max: number; blocking?: boolean };
  calibration?: { max_ece: number; blocking?: boolean };
  importance_shift?: { min_rank_correlation: number; top_k: number; blocking?: boolean };
  operational?: { max_p99_latency_ms_per_row?: number; max_artifact_bytes?: number; blocking?: boolean };
}

export interface GoldenCase {
  id: string;
  expected: { label?: 0 | 1; min_score?: number; max_score?: number };
}

export interface GoldenCaseResult {
  id: string;
  score: number | null;
  pass: boolean;
  /** What went wrong, in words; empty when the case passes. */
  problems: string[];
}

export interface GoldenResult {
  threshold: number;
  cases: GoldenCaseResult[];
  failures: GoldenCaseResult[];
  passed: number;
  failed: number;
}

export interface FeatureImportance {
  feature: string;
  /** Mean drop in quality over the repeats (positive = the model relies on the feature). */
  mean: number;
  /** Population standard deviation of the drops (ddof = 0, as scikit-learn). */
  std: number;
  drops: number[];
}

export interface ImportanceResult {
  metric: MetricName;
  /** The metric on the unshuffled table. */
  reference: number;
  repeats: number;
  seed: number;
  features: FeatureImportance[];
}

export interface ImportanceShift {
  /** Spearman rank correlation of the importances over the features both models have. */
  rank_correlation: number | null;
  top_k: number;
  /** Features in the candidate's top K that are not in the champion's top K. */
  new_in_top_k: string[];
  reason?: string;
}

/** Evidence the gates need beyond the evaluation report. */
export interface GateContext {
  hasChampion: boolean;
  golden?: GoldenResult;
  /** Permutation importances of both models on the same holdout (see importance.ts). */
  importance?: { candidate: FeatureImportance[]; champion: FeatureImportance[] };
  latencyP99MsPerRow?: number;
  artifactBytes?: number;
  /**
   * The effective min_performance floor recorded when the current champion was promoted. With
   * ratchet on, the floor is never set below it, so a champion with a wide interval cannot lower
   * the bar its predecessor set.
   */
  previousFloor?: number;
}
