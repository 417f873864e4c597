/**
 * Group fairness of thresholded predictions, exactly as Fairlearn 0.13 defines it:
 *
 * - selection rate of a group = share of its rows predicted positive;
 * - demographic_parity_difference = max − min of the selection rates; _ratio = min / max;
 * - equalized_odds_difference (agg "worst_case") = the larger of the TPR and FPR between-group
 *   differences; equalized_odds_ratio = the smaller of the TPR and FPR min/max ratios;
 * - disparate-impact ratio (the four-fifths rule) = demographic_parity_ratio.
 *
 * Groups without positives (or negatives): Fairlearn computes TPR and FPR through scikit-learn's
 * confusion_matrix(normalize="true"), whose 0/0 becomes 0, so such a group has TPR = 0 (FPR = 0)
 * and takes part in the equalized-odds spread with that 0. We reproduce this, and say so in the
 * group's `reasons`, because a gate that silently disagreed with Fairlearn would be worse than a
 * documented convention.
 *
 * Where Fairlearn divides 0 by 0 in a ratio (every group's rate is 0) it returns NaN; we return
 * null with the reason. (For equalized_odds_ratio Fairlearn's Python min() over [NaN, x] then
 * depends on argument order; we return null whenever either ratio is undefined.)
 *
 * Rows: labelled rows only (a NaN label is excluded, as everywhere in validation/). A null cell is
 * its own group, MISSING_VALUE_TOKEN.
 */

import { metricSetFromScan } from './metrics';
import { METRIC_COUNT, checkSameLength, prepareScores, scanMetrics } from './scored';
import { encodeColumn, preparedGroups, type PreparedGroup } from './slices';
import { METRIC_NAMES, type FairnessGroup, type FairnessReport, type MetricName } from './types';

export function fairnessReport(
  labels: Float64Array,
  scores: Float64Array,
  column: (string | null)[],
  columnName: string,
  threshold: number,
): FairnessReport {
  checkSameLength(`protected column ${columnName}`, column, labels.length);
  const encoded = encodeColumn(column, columnName);
  return fairnessOfGroups(columnName, preparedGroups(prepareScores(labels, scores, threshold), encoded, labels, scores));
}

/** The fairness report of one protected column from its groups' prepared rows (slices.ts's preparedGroups). */
export function fairnessOfGroups(columnName: string, preparedByGroup: PreparedGroup[]): FairnessReport {
  const groups: FairnessGroup[] = [];
  let nanScores = 0;
  for (const { value, prepared } of preparedByGroup) {
    nanScores += prepared.nanScores;
    const rows = prepared.rows + prepared.nanScores;
    const out = new Float64Array(METRIC_COUNT);
    const totals = scanMetrics(prepared, null, out);
    const metrics = metricSetFromScan(prepared, out, totals);
    const { reasons, ...values } = metrics;
    const entry: FairnessGroup = {
      value,
      rows,
      positives: totals.positives,
      negatives: totals.negatives,
      selection_rate: null,
      tpr: null,
      fpr: null,
      ...values,
      reasons: { ...reasons },
    };
    if (prepared.nanScores > 0) {
      const why = 'NaN scores in this group';
      entry.reasons.selection_rate = entry.reasons.tpr = entry.reasons.fpr = why;
    } else {
      entry.selection_rate = totals.predictedPositive / totals.weight;
      entry.tpr = totals.positives > 0 ? totals.truePositive / totals.positives : 0;
      const falsePositive = totals.predictedPositive - totals.truePositive;
      entry.fpr = totals.negatives > 0 ? falsePositive / totals.negatives : 0;
      if (totals.positives === 0) entry.reasons.tpr = 'no positives in group: 0 as Fairlearn (confusion_matrix normalize="true" maps 0/0 to 0)';
      if (totals.negatives === 0) entry.reasons.fpr = 'no negatives in group: 0 as Fairlearn (confusion_matrix normalize="true" maps 0/0 to 0)';
    }
    groups.push(entry);
  }

  const report: FairnessReport = {
    column: columnName,
    demographic_parity_difference: null,
    demographic_parity_ratio: null,
    equalized_odds_difference: null,
    equalized_odds_ratio: null,
    disparate_impact_ratio: null,
    groups,
    metric_gaps: Object.fromEntries(METRIC_NAMES.map((m) => [m, null])) as FairnessReport['metric_gaps'],
    reasons: {},
  };
  for (const m of METRIC_NAMES) report.metric_gaps![m] = groupMetricGap(report, m).value;
  if (nanScores > 0 || groups.length === 0) {
    const why = nanScores > 0 ? `${nanScores} labelled row(s) have a NaN score` : 'no labelled rows';
    report.reasons = {
      demographic_parity_difference: why,
      demographic_parity_ratio: why,
      equalized_odds_difference: why,
      equalized_odds_ratio: why,
      disparate_impact_ratio: why,
    };
    return report;
  }
  const selection = spread(groups.map((g) => g.selection_rate!));
  const tpr = spread(groups.map((g) => g.tpr!));
  const fpr = spread(groups.map((g) => g.fpr!));
  report.demographic_parity_difference = selection.difference;
  report.demographic_parity_ratio = selection.ratio;
  report.disparate_impact_ratio = selection.ratio;
  if (selection.ratio === null) {
    report.reasons.demographic_parity_ratio = 'no group has a positive prediction (0/0)';
    report.reasons.disparate_impact_ratio = report.reasons.demographic_parity_ratio;
  }
  report.equalized_odds_difference = Math.max(tpr.difference, fpr.difference);
  if (tpr.ratio === null || fpr.ratio === null) {
    report.reasons.equalized_odds_ratio = `${tpr.ratio === null ? 'TPR' : 'FPR'} is 0 in every group (0/0)`;
  } else {
    report.equalized_odds_ratio = Math.min(tpr.ratio, fpr.ratio);
  }
  return report;
}

function spread(values: number[]): { difference: number; ratio: number | null } {
  const max = Math.max(...values);
  const min = Math.min(...values);
  return { difference: max - min, ratio: max === 0 ? null : min / max };
}

/**
 * Max − min of `metric` across the groups where it is defined (e.g. a one-class group has no AUC
 * and is left out). Null when fewer than two groups have a value: there is no gap to speak of.
 */
export function groupMetricGap(
  report: FairnessReport,
  metric: MetricName,
): { value: number | null; highest: string | null; lowest: string | null; reason?: string } {
  const defined = report.groups.filter((g) => g[metric] !== null);
  if (defined.length < 2) {
    return { value: null, highest: null, lowest: null, reason: `${metric} is defined in ${defined.length} group(s); a gap needs two` };
  }
  let hi = defined[0]!;
  let lo = defined[0]!;
  for (const g of defined) {
    if (g[metric]! > hi[metric]!) hi = g;
    if (g[metric]! < lo[metric]!) lo = g;
  }
  return { value: hi[metric]! - lo[metric]!, highest: hi.value, lowest: lo.value };
}
