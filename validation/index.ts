/**
 * Public API of validation/: pure statistics (metrics, bootstrap intervals, slices, fairness,
 * importance, golden set, gates) with no I/O, no Temporal, no HTTP.
 */

export * from './types';
export { computeMetrics, computeChurn, metricDirection, improvement, DEFAULT_THRESHOLD, ValidationInputError } from './metrics';
export type { MetricOptions, MetricDirection } from './metrics';
export { bootstrapReplicates, percentileInterval, intervalSet, resampleCounts, resampleIndices, DEFAULT_CONFIDENCE } from './bootstrap';
export type { BootstrapOptions, BootstrapTarget, ReplicateSeries, TargetReplicates } from './bootstrap';
export { Rng } from './rng';
export { prepareScores, scanMetrics } from './scored';
export type { PreparedScores } from './scored';
export { computeSlices, groupRows, MISSING_VALUE_TOKEN } from './slices';
export { fairnessReport, groupMetricGap } from './fairness';
export { rocCurve, prCurve, reliabilityBins, thinPoints } from './curves';
export { permutationImportance, importanceShift, spearman } from './importance';
export type { PermutationOptions } from './importance';
export { checkGolden } from './golden';
export { buildEvaluationReport } from './report';
export {
  runGates,
  applyOverride,
  blockingFailures,
  GateOverrideError,
  minPerformanceGate,
  nonRegressionGate,
  sliceNonRegressionGates,
  fairnessGates,
  goldenGate,
  churnGate,
  calibrationGate,
  importanceShiftGate,
  operationalGates,
} from './gates';

// ---- drift (validation/drift*.ts, validation/distributions.ts): exports go below this line ----
export { driftReport, predictionDrift, DEFAULT_DRIFT_THRESHOLDS } from './drift';
export type { DriftReport, ColumnDrift, NumericColumnDrift, CategoricalColumnDrift, DriftOptions, DriftThresholds, DriftVerdict } from './drift';
export { ks2samp, ks2sampSorted, ksStatisticSorted, chi2Contingency, psi, jensenShannon, psiBins, numericBins, categoricalBins, PSI_EPSILON, MISSING_CATEGORY } from './drift-stats';
export type { Bins, CategoricalBins, Category, ChiSquare, TestOutcome } from './drift-stats';
export { chi2Sf, kstwoSf, smirnovSf, ksTwoSamplePvalue } from './distributions';
export type { KsPvalue } from './distributions';
export { benjaminiHochberg } from './multiple-testing';
export { sortFinite } from './sort-float64';
export { analyzeLive, DEFAULT_LIVE_CRITERIA } from './live-analysis';
export type { LiveAnalysis, LiveArm, LiveCheck, LiveCriteria } from './live-analysis';
