/**
 * Gates: pure functions from an evaluation report (plus evidence the report cannot hold: golden
 * set, importances, latency, artifact size) to typed verdicts. A failed gate is a GateResult with
 * verdict 'fail', never an exception; each result says in words what the candidate scored, what
 * the champion scored and what the threshold was.
 *
 * Conventions:
 * - a config section that is absent yields no gate; a present section without any threshold
 *   yields one 'skipped' result saying so;
 * - `blocking` defaults to true; blockingFailures() is what stops a promotion;
 * - 'warn' = within the threshold but worth a human look (e.g. worse point estimate inside the
 *   allowed drop, new features in the top K, some golden failures inside the allowance);
 * - an undefined candidate figure on a whole-holdout gate is a 'fail': a model only moves forward
 *   when it is proven good, and an unmeasurable model is not. An undefined champion figure, a
 *   too-small slice or missing evidence is 'insufficient_data' (not a failure of the candidate);
 * - direction: log_loss, brier and ece are lower-is-better; metrics.ts's `improvement` is the one
 *   place that turns "higher" or "lower" into "better".
 */

import { groupMetricGap } from './fairness';
import { importanceShift } from './importance';
import { improvement, improvementInterval, metricDirection } from './metrics';
import type { GateOverride, GateResult, Verdict } from '../core/types';
import { ValidationInputError } from './scored';
import { METRIC_NAMES, type EvaluationReport, type GateConfig, type GateContext, type MetricName } from './types';

type Section = { blocking?: boolean };

function result(
  gate: string,
  verdict: Verdict,
  section: Section,
  value: number | null,
  threshold: number | null,
  evidence: string,
): GateResult {
  return { gate, verdict, blocking: section.blocking ?? true, value, threshold, evidence };
}

function skippedNoThreshold(gate: string, section: Section): GateResult {
  return result(gate, 'skipped', section, null, null, `${gate} is configured without a threshold: nothing to check`);
}

/** Up to 4 decimals, trailing zeros dropped: evidence is read by people. */
export function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toFixed(4)));
}

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** A misspelt metric in the config is a configuration error, not a verdict about the model. */
function checkMetric(field: string, metric: unknown): asserts metric is MetricName {
  if (!(METRIC_NAMES as readonly unknown[]).includes(metric)) {
    throw new ValidationInputError(`${field} is ${JSON.stringify(metric)}: use one of ${METRIC_NAMES.join(', ')}`);
  }
}

function pct(report: EvaluationReport): string {
  return `${Math.round(report.bootstrap.confidence * 100)}%`;
}

/** The champion's figure as it appears in evidence. */
function championText(report: EvaluationReport, metric: MetricName): string {
  const v = report.baseline?.overall[metric];
  return v === null || v === undefined ? 'champion n/a' : `champion ${fmt(v)}`;
}

/** "at least" or "at most", as the metric's direction reads against a floor or ceiling. */
function bound(metric: MetricName): string {
  return metricDirection(metric) === 'lower_is_better' ? 'at most' : 'at least';
}

export function minPerformanceGate(
  report: EvaluationReport,
  cfg: NonNullable<GateConfig['min_performance']>,
  context: GateContext,
): GateResult {
  const gate = 'min_performance';
  if (!isNumber(cfg.min)) return skippedNoThreshold(gate, cfg);
  checkMetric('min_performance.metric', cfg.metric);
  const { metric } = cfg;
  const lower = metricDirection(metric) === 'lower_is_better';
  const margin = cfg.margin ?? 0;
  // The floor only ever tightens: the stricter of the configured value, the champion's
  // pessimistic interval bound less the margin, and the floor recorded at the last promotion.
  let floor = cfg.min;
  const why: string[] = [`configured ${fmt(cfg.min)}`];
  if (cfg.ratchet) {
    const championCi = report.baseline?.ci[metric];
    if (context.hasChampion && championCi) {
      const championBound = lower ? championCi[1] : championCi[0];
      const fromChampion = lower ? championBound + margin : championBound - margin;
      why.push(
        `ratchet: champion's ${lower ? 'upper' : 'lower'} ${pct(report)} bound ${fmt(championBound)} ${lower ? '+' : '-'} margin ${fmt(margin)} = ${fmt(fromChampion)}`,
      );
      floor = stricter(metric, floor, fromChampion);
    } else {
      why.push('ratchet: no champion interval yet');
    }
    if (isNumber(context.previousFloor)) {
      why.push(`previous floor ${fmt(context.previousFloor)}`);
      floor = stricter(metric, floor, context.previousFloor);
    }
  }
  const floorText = `${lower ? 'ceiling' : 'floor'} ${fmt(floor)} (${why.join('; ')})`;
  const value = report.overall[metric];
  if (value === null) {
    return result(gate, 'fail', cfg, null, floor, `candidate ${metric} is undefined (${report.overall.reasons[metric]}), so it cannot be shown to be ${bound(metric)} the ${floorText}`);
  }
  const ok = improvement(metric, floor, value) >= 0;
  return result(
    gate,
    ok ? 'pass' : 'fail',
    cfg,
    value,
    floor,
    `candidate ${metric} ${fmt(value)} (${championText(report, metric)}) ${ok ? 'is' : 'is not'} ${bound(metric)} the ${floorText}`,
  );
}

/** The stricter of two floors (the higher for higher-is-better, the lower ceiling otherwise). */
function stricter(metric: MetricName, a: number, b: number): number {
  return improvement(metric, a, b) > 0 ? b : a;
}

const NO_CHAMPION = 'no champion yet: absolute gates only';

export function nonRegressionGate(
  report: EvaluationReport,
  cfg: NonNullable<GateConfig['non_regression']>,
  context: GateContext,
): GateResult {
  const gate = 'non_regression';
  if (!isNumber(cfg.max_drop)) return skippedNoThreshold(gate, cfg);
  checkMetric('non_regression.metric', cfg.metric);
  if (!context.hasChampion || !report.delta || !report.baseline) return result(gate, 'skipped', cfg, null, null, NO_CHAMPION);
  const { metric } = cfg;
  const candidate = report.overall[metric];
  const champion = report.baseline.overall[metric];
  const delta = report.delta[metric];
  const threshold = metricDirection(metric) === 'lower_is_better' ? cfg.max_drop : -cfg.max_drop;
  if (candidate === null) {
    return result(gate, 'fail', cfg, null, threshold, `candidate ${metric} is undefined (${report.overall.reasons[metric]}): no evidence it does not regress`);
  }
  if (champion === null || delta.value === null) {
    return result(gate, 'insufficient_data', cfg, null, threshold, `champion ${metric} is undefined (${report.baseline.overall.reasons[metric]}): nothing to compare the candidate's ${fmt(candidate)} with`);
  }
  return judgeDrop(gate, cfg, metric, candidate, champion, delta.value, delta.ci, report, 'paired-bootstrap');
}

/**
 * The shared verdict of a drop against max_drop, on the pessimistic end of the paired-delta
 * interval when there is one, else on the point delta. `value` and `threshold` are in raw delta
 * units (candidate − champion): for lower-is-better metrics the pessimistic bound is the upper one
 * and the threshold is +max_drop.
 */
function judgeDrop(
  gate: string,
  cfg: { max_drop: number; blocking?: boolean },
  metric: MetricName,
  candidate: number,
  champion: number,
  pointDelta: number,
  ci: [number, number] | null,
  report: EvaluationReport,
  source: string,
): GateResult {
  const lower = metricDirection(metric) === 'lower_is_better';
  const threshold = lower ? cfg.max_drop : -cfg.max_drop;
  const worstChange = ci ? improvementInterval(metric, ci)[0] : improvement(metric, champion, candidate);
  const rawBound = lower ? -worstChange : worstChange;
  const basis = ci
    ? `the ${lower ? 'upper' : 'lower'} ${pct(report)} ${source} bound of candidate - champion is ${signed(rawBound)}`
    : `the point delta candidate - champion is ${signed(rawBound)} (no interval for this comparison)`;
  const verdict: Verdict = worstChange < -cfg.max_drop ? 'fail' : improvement(metric, champion, candidate) < 0 ? 'warn' : 'pass';
  const limit = `the limit ${signed(threshold)} (max ${lower ? 'rise' : 'drop'} ${fmt(cfg.max_drop)})`;
  const words =
    verdict === 'fail'
      ? `${lower ? 'above' : 'below'} ${limit}`
      : verdict === 'warn'
        ? `within ${limit}, though the point estimate is worse`
        : `within ${limit}`;
  return result(gate, verdict, cfg, rawBound, threshold, `candidate ${metric} ${fmt(candidate)} vs champion ${fmt(champion)}: ${basis}, ${words}`);
}

function signed(x: number): string {
  return x > 0 ? `+${fmt(x)}` : fmt(x);
}

export function sliceNonRegressionGates(
  report: EvaluationReport,
  cfg: NonNullable<GateConfig['slice_non_regression']>,
  context: GateContext,
): GateResult[] {
  const gate = 'slice_non_regression';
  if (!isNumber(cfg.max_drop)) return [skippedNoThreshold(gate, cfg)];
  checkMetric('slice_non_regression.metric', cfg.metric);
  if (!context.hasChampion || !report.baseline) return [result(gate, 'skipped', cfg, null, null, NO_CHAMPION)];
  const minRows = cfg.min_rows ?? 0;
  const { metric } = cfg;
  return report.slices.map((slice) => {
    const name = `${gate}:${slice.column}=${slice.value}`;
    const threshold = metricDirection(metric) === 'lower_is_better' ? cfg.max_drop : -cfg.max_drop;
    if (slice.rows < minRows) {
      return result(name, 'insufficient_data', cfg, null, threshold, `slice ${slice.column}=${slice.value} has ${slice.rows} rows, fewer than min_rows ${minRows}: not judged`);
    }
    const candidate = slice[metric];
    const champion = slice.baseline?.[metric] ?? null;
    const delta = slice.delta?.[metric];
    if (candidate === null || champion === null || !delta || delta.value === null) {
      const why = candidate === null ? `candidate: ${slice.reasons[metric]}` : `champion: ${slice.baseline?.reasons[metric] ?? 'no baseline'}`;
      return result(name, 'insufficient_data', cfg, null, threshold, `slice ${slice.column}=${slice.value}: ${metric} undefined (${why}): not judged`);
    }
    const judged = judgeDrop(name, cfg, metric, candidate, champion, delta.value, delta.ci, report, 'paired-bootstrap');
    return { ...judged, evidence: `slice ${slice.column}=${slice.value} (${slice.rows} rows): ${judged.evidence}` };
  });
}

const FAIRNESS_MEASURES = [
  ['max_demographic_parity_difference', 'demographic_parity_difference', 'max'],
  ['max_equalized_odds_difference', 'equalized_odds_difference', 'max'],
  ['min_disparate_impact_ratio', 'disparate_impact_ratio', 'min'],
] as const;

export function fairnessGates(report: EvaluationReport, cfg: NonNullable<GateConfig['fairness']>): GateResult[] {
  const gate = 'fairness';
  const configured = FAIRNESS_MEASURES.filter(([key]) => isNumber(cfg[key]));
  const gap = cfg.max_group_metric_gap;
  if (configured.length === 0 && !(gap && isNumber(gap.max))) return [skippedNoThreshold(gate, cfg)];
  if (gap && isNumber(gap.max)) checkMetric('fairness.max_group_metric_gap.metric', gap.metric);
  const columns = Object.values(report.fairness);
  if (columns.length === 0) return [result(gate, 'skipped', cfg, null, null, 'no protected columns in the evaluation: fairness not assessed')];
  const out: GateResult[] = [];
  for (const fairness of columns) {
    for (const [key, measure, kind] of configured) {
      const limit = cfg[key]!;
      const name = `${gate}:${fairness.column}:${measure}`;
      const value = fairness[measure];
      if (value === null) {
        out.push(result(name, 'insufficient_data', cfg, null, limit, `${measure} on ${fairness.column} is undefined (${fairness.reasons[measure]})`));
        continue;
      }
      const ok = kind === 'max' ? value <= limit : value >= limit;
      const champion = report.baseline?.fairness?.[fairness.column]?.[measure];
      const championText = champion === null || champion === undefined ? '' : ` (champion ${fmt(champion)})`;
      out.push(result(name, ok ? 'pass' : 'fail', cfg, value, limit, `candidate ${measure} on ${fairness.column} is ${fmt(value)}${championText}, ${kind === 'max' ? 'limit' : 'minimum'} ${fmt(limit)}${ok ? '' : ': violated'}`));
    }
    if (gap && isNumber(gap.max)) {
      const name = `${gate}:${fairness.column}:${gap.metric}_gap`;
      const g = groupMetricGap(fairness, gap.metric);
      if (g.value === null) {
        out.push(result(name, 'insufficient_data', cfg, null, gap.max, `${gap.metric} gap across ${fairness.column} groups is undefined (${g.reason})`));
      } else {
        const ok = g.value <= gap.max;
        const championFairness = report.baseline?.fairness?.[fairness.column];
        const championGap = championFairness ? groupMetricGap(championFairness, gap.metric).value : null;
        const championText = championGap === null ? '' : ` (champion ${fmt(championGap)})`;
        out.push(result(name, ok ? 'pass' : 'fail', cfg, g.value, gap.max, `candidate ${gap.metric} gap across ${fairness.column} groups is ${fmt(g.value)}${championText} (highest ${g.highest}, lowest ${g.lowest}), limit ${fmt(gap.max)}${ok ? '' : ': violated'}`));
      }
    }
  }
  return out;
}

export function goldenGate(cfg: NonNullable<GateConfig['golden']>, context: GateContext): GateResult {
  const gate = 'golden';
  if (!isNumber(cfg.max_failures)) return skippedNoThreshold(gate, cfg);
  const golden = context.golden;
  if (!golden) return result(gate, 'insufficient_data', cfg, null, cfg.max_failures, 'no golden-set result was provided');
  const failed = golden.failed;
  const ids = golden.failures.slice(0, 5).map((f) => f.id).join(', ');
  const list = failed > 0 ? ` (${ids}${failed > 5 ? ', ...' : ''})` : '';
  const verdict: Verdict = failed > cfg.max_failures ? 'fail' : failed > 0 ? 'warn' : 'pass';
  return result(gate, verdict, cfg, failed, cfg.max_failures, `candidate fails ${failed} of ${golden.cases.length} golden cases${list}; at most ${cfg.max_failures} allowed`);
}

export function churnGate(report: EvaluationReport, cfg: NonNullable<GateConfig['churn']>, context: GateContext): GateResult {
  const gate = 'churn';
  if (!isNumber(cfg.max)) return skippedNoThreshold(gate, cfg);
  if (!context.hasChampion || !report.churn) return result(gate, 'skipped', cfg, null, null, NO_CHAMPION);
  const churn = report.churn;
  if (churn.value === null) return result(gate, 'insufficient_data', cfg, null, cfg.max, `churn is undefined (${churn.reason})`);
  const ok = churn.value <= cfg.max;
  return result(gate, ok ? 'pass' : 'fail', cfg, churn.value, cfg.max, `candidate gets wrong ${churn.flipped_to_wrong} of the ${churn.baseline_correct} rows the champion gets right (${fmt(churn.value)}), limit ${fmt(cfg.max)}`);
}

export function calibrationGate(report: EvaluationReport, cfg: NonNullable<GateConfig['calibration']>): GateResult {
  const gate = 'calibration';
  if (!isNumber(cfg.max_ece)) return skippedNoThreshold(gate, cfg);
  const ece = report.overall.ece;
  if (ece === null) return result(gate, 'fail', cfg, null, cfg.max_ece, `candidate ECE is undefined (${report.overall.reasons.ece}), limit ${fmt(cfg.max_ece)}`);
  const ok = ece <= cfg.max_ece;
  return result(gate, ok ? 'pass' : 'fail', cfg, ece, cfg.max_ece, `candidate ECE ${fmt(ece)} (${championText(report, 'ece')}), limit ${fmt(cfg.max_ece)}`);
}

export function importanceShiftGate(cfg: NonNullable<GateConfig['importance_shift']>, context: GateContext): GateResult {
  const gate = 'importance_shift';
  if (!isNumber(cfg.min_rank_correlation)) return skippedNoThreshold(gate, cfg);
  if (!context.hasChampion) return result(gate, 'skipped', cfg, null, null, NO_CHAMPION);
  if (!context.importance) return result(gate, 'insufficient_data', cfg, null, cfg.min_rank_correlation, 'no feature importances were provided');
  const shift = importanceShift(context.importance.candidate, context.importance.champion, cfg.top_k);
  const rho = shift.rank_correlation;
  if (rho === null) return result(gate, 'insufficient_data', cfg, null, cfg.min_rank_correlation, `rank correlation undefined (${shift.reason})`);
  const fresh = shift.new_in_top_k;
  const verdict: Verdict = rho < cfg.min_rank_correlation ? 'fail' : fresh.length > 0 ? 'warn' : 'pass';
  const newText = fresh.length > 0 ? `new in the top ${shift.top_k}: ${fresh.join(', ')}` : `no new feature in the top ${shift.top_k}`;
  return result(gate, verdict, cfg, rho, cfg.min_rank_correlation, `Spearman correlation of candidate and champion importances ${fmt(rho)}, minimum ${fmt(cfg.min_rank_correlation)}; ${newText}`);
}

export function operationalGates(cfg: NonNullable<GateConfig['operational']>, context: GateContext): GateResult[] {
  const checks = [
    ['operational:p99_latency_ms_per_row', cfg.max_p99_latency_ms_per_row, context.latencyP99MsPerRow, 'p99 latency per row (ms)'],
    ['operational:artifact_bytes', cfg.max_artifact_bytes, context.artifactBytes, 'artifact size (bytes)'],
  ] as const;
  const configured = checks.filter(([, limit]) => isNumber(limit));
  if (configured.length === 0) return [skippedNoThreshold('operational', cfg)];
  return configured.map(([name, limit, measured, what]) => {
    if (!isNumber(measured)) return result(name, 'insufficient_data', cfg, null, limit!, `candidate ${what} was not measured`);
    const ok = measured <= limit!;
    return result(name, ok ? 'pass' : 'fail', cfg, measured, limit!, `candidate ${what} ${fmt(measured)}, budget ${fmt(limit!)}`);
  });
}

/** Every configured gate, in config order of sections. */
export function runGates(report: EvaluationReport, config: GateConfig, context?: GateContext): GateResult[] {
  const ctx: GateContext = context ?? { hasChampion: report.baseline !== undefined };
  const out: GateResult[] = [];
  if (config.min_performance) out.push(minPerformanceGate(report, config.min_performance, ctx));
  if (config.non_regression) out.push(nonRegressionGate(report, config.non_regression, ctx));
  if (config.slice_non_regression) out.push(...sliceNonRegressionGates(report, config.slice_non_regression, ctx));
  if (config.fairness) out.push(...fairnessGates(report, config.fairness));
  if (config.golden) out.push(goldenGate(config.golden, ctx));
  if (config.churn) out.push(churnGate(report, config.churn, ctx));
  if (config.calibration) out.push(calibrationGate(report, config.calibration));
  if (config.importance_shift) out.push(importanceShiftGate(config.importance_shift, ctx));
  if (config.operational) out.push(...operationalGates(config.operational, ctx));
  return out;
}

/** Raised when an override is refused: not an admin, unknown gate, or no reason given. */
export class GateOverrideError extends Error {
  override name = 'GateOverrideError';
}

/**
 * Records an admin's override on one gate: the verdict stays as it was (the record must show the
 * gate failed) but it no longer blocks. Returns new results; the input is not modified.
 */
export function applyOverride(results: GateResult[], gate: string, override: GateOverride, admins: string[]): GateResult[] {
  if (!admins.includes(override.by)) {
    throw new GateOverrideError(`${override.by} may not override gate ${gate}: only admins (${admins.join(', ') || 'none configured'}) can`);
  }
  if (!override.reason || override.reason.trim() === '') {
    throw new GateOverrideError(`override of gate ${gate} needs a reason: say why the failure is acceptable`);
  }
  const index = results.findIndex((r) => r.gate === gate);
  if (index < 0) {
    throw new GateOverrideError(`no gate named ${gate} in these results: one of ${results.map((r) => r.gate).join(', ')}`);
  }
  if (results[index]!.verdict === 'pass' || results[index]!.verdict === 'skipped') {
    throw new GateOverrideError(`gate ${gate} did not fail (verdict ${results[index]!.verdict}): nothing to override`);
  }
  return results.map((r, i) => (i === index ? { ...r, blocking: false, override: { ...override } } : r));
}

/** The results that stop a promotion: failed, blocking, not overridden. */
export function blockingFailures(results: GateResult[]): GateResult[] {
  return results.filter((r) => r.verdict === 'fail' && r.blocking);
}
