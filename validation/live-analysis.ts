/**
 * Live analysis of a promotion stage: candidate against baseline (the champion) on the same
 * traffic window, from the serving worker's prediction log. Pure: the activity reads the log and
 * calls this; the promotion workflow acts on the verdict.
 *
 * A check that cannot decide is `inconclusive`, never a pass: too few scored requests, or no
 * traffic at all. Quality checks that need ground truth are `skipped` until enough labels arrived
 * through /feedback (delayed labels are normal, so their absence alone must not stall a stage).
 */
import { numericBins, psi } from './drift-stats';
import { computeMetrics } from './metrics';

export interface LiveArm {
  version: number;
  /** Scored requests (status ok). */
  scores: Float64Array;
  latencyMs: Float64Array;
  /** Requests that failed for this arm (model errors), alongside the scored ones. */
  errors: number;
  /** Ground truth per scored request, NaN where none has arrived. */
  labels: Float64Array;
}

export interface LiveCriteria {
  /** Scored requests each arm needs before the stage can be judged. */
  min_samples: number;
  /** Candidate error rate may exceed the baseline's by at most this (absolute). */
  max_error_rate_increase: number;
  /** Fail fast: this many candidate errors above the allowed rate fail the stage before min_samples. */
  fail_fast_errors: number;
  /** Candidate p99 latency / baseline p99. */
  max_p99_latency_ratio: number;
  /** PSI of the candidate's score distribution against the baseline's. */
  max_score_psi: number;
  /** |candidate positive rate − baseline positive rate|. */
  max_positive_rate_shift: number;
  /** Labelled requests per arm before AUC and calibration are judged. */
  min_labels: number;
  /** Candidate AUC may fall below the baseline's by at most this. */
  max_auc_drop: number;
  /** Expected calibration error of the candidate on labelled live traffic. */
  max_ece: number;
}

export const DEFAULT_LIVE_CRITERIA: LiveCriteria = {
  min_samples: 5000,
  max_error_rate_increase: 0.005,
  fail_fast_errors: 20,
  max_p99_latency_ratio: 1.5,
  max_score_psi: 0.25,
  max_positive_rate_shift: 0.05,
  min_labels: 500,
  max_auc_drop: 0.02,
  max_ece: 0.1,
};

export type LiveVerdict = 'pass' | 'fail' | 'inconclusive' | 'skipped';

export interface LiveCheck {
  check: 'samples' | 'error_rate' | 'p99_latency' | 'score_psi' | 'positive_rate_shift' | 'auc' | 'calibration';
  verdict: LiveVerdict;
  value: number | null;
  threshold: number | null;
  evidence: string;
}

export interface LiveAnalysis {
  verdict: 'pass' | 'fail' | 'inconclusive';
  baseline: ArmSummary;
  candidate: ArmSummary;
  checks: LiveCheck[];
}

export interface ArmSummary {
  version: number;
  requests: number;
  scored: number;
  errors: number;
  labelled: number;
  positiveRate: number | null;
  p99LatencyMs: number | null;
}

export interface LiveOptions {
  threshold: number;
  /**
   * Shadow scoring runs off the response path, queued behind the requests themselves, so its
   * latency says nothing about what the candidate would cost in line: compare latency only when
   * both arms serve requests.
   */
  compareLatency: boolean;
}

export function analyzeLive(baseline: LiveArm, candidate: LiveArm, criteria: LiveCriteria, options: LiveOptions): LiveAnalysis {
  const { threshold } = options;
  const b = summarize(baseline, threshold);
  const c = summarize(candidate, threshold);
  const enough = b.scored >= criteria.min_samples && c.scored >= criteria.min_samples;
  const checks: LiveCheck[] = [
    {
      check: 'samples',
      verdict: enough ? 'pass' : 'inconclusive',
      value: Math.min(b.scored, c.scored),
      threshold: criteria.min_samples,
      evidence: `${c.scored} candidate and ${b.scored} baseline scored requests; at least ${criteria.min_samples} each are needed`,
    },
    errorRateCheck(b, c, criteria, enough),
  ];
  if (enough) {
    checks.push(latencyCheck(b, c, criteria, options.compareLatency), scorePsiCheck(baseline, candidate, criteria), positiveRateCheck(b, c, criteria), ...qualityChecks(baseline, candidate, criteria, threshold));
  }
  const verdict = checks.some((x) => x.verdict === 'fail') ? 'fail' : checks.some((x) => x.verdict === 'inconclusive') ? 'inconclusive' : 'pass';
  return { verdict, baseline: b, candidate: c, checks };
}

function summarize(arm: LiveArm, threshold: number): ArmSummary {
  let positives = 0;
  let labelled = 0;
  for (let i = 0; i < arm.scores.length; i++) {
    if (arm.scores[i]! >= threshold) positives++;
    if (!Number.isNaN(arm.labels[i]!)) labelled++;
  }
  const scored = arm.scores.length;
  return {
    version: arm.version,
    requests: scored + arm.errors,
    scored,
    errors: arm.errors,
    labelled,
    positiveRate: scored ? positives / scored : null,
    p99LatencyMs: quantile(arm.latencyMs, 0.99),
  };
}

function errorRateCheck(b: ArmSummary, c: ArmSummary, criteria: LiveCriteria, enough: boolean): LiveCheck {
  const rate = (s: ArmSummary) => (s.requests ? s.errors / s.requests : 0);
  const increase = rate(c) - rate(b);
  const over = increase > criteria.max_error_rate_increase;
  // Before min_samples only a clear excess of errors decides: a single early error is noise.
  const failFast = over && c.errors >= criteria.fail_fast_errors;
  const verdict: LiveVerdict = over && (enough || failFast) ? 'fail' : enough ? 'pass' : 'inconclusive';
  return {
    check: 'error_rate',
    verdict,
    value: increase,
    threshold: criteria.max_error_rate_increase,
    evidence: `candidate error rate ${pct(rate(c))} (${c.errors}/${c.requests}) vs baseline ${pct(rate(b))} (${b.errors}/${b.requests}); allowed increase ${pct(criteria.max_error_rate_increase)}${failFast && !enough ? ' — failed fast' : ''}`,
  };
}

function latencyCheck(b: ArmSummary, c: ArmSummary, criteria: LiveCriteria, compare: boolean): LiveCheck {
  if (!compare) {
    return { check: 'p99_latency', verdict: 'skipped', value: null, threshold: criteria.max_p99_latency_ratio, evidence: 'shadow scoring runs off the response path: latency is judged in the canary stages' };
  }
  if (b.p99LatencyMs === null || c.p99LatencyMs === null || b.p99LatencyMs <= 0) {
    return { check: 'p99_latency', verdict: 'inconclusive', value: null, threshold: criteria.max_p99_latency_ratio, evidence: 'no latency measurements' };
  }
  const ratio = c.p99LatencyMs / b.p99LatencyMs;
  return {
    check: 'p99_latency',
    verdict: ratio <= criteria.max_p99_latency_ratio ? 'pass' : 'fail',
    value: ratio,
    threshold: criteria.max_p99_latency_ratio,
    evidence: `candidate p99 ${c.p99LatencyMs.toFixed(3)} ms vs baseline ${b.p99LatencyMs.toFixed(3)} ms (×${ratio.toFixed(2)}, at most ×${criteria.max_p99_latency_ratio})`,
  };
}

function scorePsiCheck(baseline: LiveArm, candidate: LiveArm, criteria: LiveCriteria): LiveCheck {
  const bins = numericBins(baseline.scores, candidate.scores);
  const value = psi(bins.reference, bins.current);
  return {
    check: 'score_psi',
    verdict: value === null ? 'inconclusive' : value <= criteria.max_score_psi ? 'pass' : 'fail',
    value,
    threshold: criteria.max_score_psi,
    evidence: value === null ? 'score distribution could not be binned' : `PSI of candidate scores vs baseline scores ${value.toFixed(4)} (at most ${criteria.max_score_psi})`,
  };
}

function positiveRateCheck(b: ArmSummary, c: ArmSummary, criteria: LiveCriteria): LiveCheck {
  const shift = Math.abs((c.positiveRate ?? 0) - (b.positiveRate ?? 0));
  return {
    check: 'positive_rate_shift',
    verdict: shift <= criteria.max_positive_rate_shift ? 'pass' : 'fail',
    value: shift,
    threshold: criteria.max_positive_rate_shift,
    evidence: `candidate predicts positive on ${pct(c.positiveRate ?? 0)} vs baseline ${pct(b.positiveRate ?? 0)} (shift at most ${pct(criteria.max_positive_rate_shift)})`,
  };
}

function qualityChecks(baseline: LiveArm, candidate: LiveArm, criteria: LiveCriteria, threshold: number): LiveCheck[] {
  const b = labelledOnly(baseline);
  const c = labelledOnly(candidate);
  if (b.labels.length < criteria.min_labels || c.labels.length < criteria.min_labels) {
    const evidence = `${c.labels.length} candidate and ${b.labels.length} baseline requests have ground truth; ${criteria.min_labels} each are needed`;
    return [
      { check: 'auc', verdict: 'skipped', value: null, threshold: -criteria.max_auc_drop, evidence },
      { check: 'calibration', verdict: 'skipped', value: null, threshold: criteria.max_ece, evidence },
    ];
  }
  const bm = computeMetrics(b.labels, b.scores, { threshold });
  const cm = computeMetrics(c.labels, c.scores, { threshold });
  const auc: LiveCheck =
    bm.auc === null || cm.auc === null
      ? { check: 'auc', verdict: 'skipped', value: null, threshold: -criteria.max_auc_drop, evidence: `AUC undefined: ${cm.reasons.auc ?? bm.reasons.auc}` }
      : {
          check: 'auc',
          verdict: cm.auc - bm.auc >= -criteria.max_auc_drop ? 'pass' : 'fail',
          value: cm.auc - bm.auc,
          threshold: -criteria.max_auc_drop,
          evidence: `live AUC candidate ${cm.auc.toFixed(4)} vs baseline ${bm.auc.toFixed(4)} on ${c.labels.length}/${b.labels.length} labelled requests (drop at most ${criteria.max_auc_drop})`,
        };
  const calibration: LiveCheck =
    cm.ece === null
      ? { check: 'calibration', verdict: 'skipped', value: null, threshold: criteria.max_ece, evidence: `ECE undefined: ${cm.reasons.ece}` }
      : {
          check: 'calibration',
          verdict: cm.ece <= criteria.max_ece ? 'pass' : 'fail',
          value: cm.ece,
          threshold: criteria.max_ece,
          evidence: `live ECE of the candidate ${cm.ece.toFixed(4)} (baseline ${bm.ece?.toFixed(4) ?? '—'}), at most ${criteria.max_ece}`,
        };
  return [auc, calibration];
}

function labelledOnly(arm: LiveArm): { scores: Float64Array; labels: Float64Array } {
  const keep: number[] = [];
  for (let i = 0; i < arm.labels.length; i++) if (!Number.isNaN(arm.labels[i]!)) keep.push(i);
  return { scores: Float64Array.from(keep, (i) => arm.scores[i]!), labels: Float64Array.from(keep, (i) => arm.labels[i]!) };
}

/** Nearest-rank quantile; null for no data. */
function quantile(values: Float64Array, p: number): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)} %`;
}
