/**
 * Fairness per protected attribute: for each group, the candidate's selection rate, true positive
 * rate and false positive rate side by side. Demographic parity compares the first across groups,
 * equalized odds the other two; the footnote gives the summary differences the gates judge.
 */
import { fmtInt, fmtMetric } from '../format';
import type { SafeHtml } from '../html';
import { barChart, type Bar } from '../svg/bar-chart';
import { COLORS } from '../svg/palette';
import type { EvaluationReport, FairnessGroup, FairnessReport } from '../../validation/types';

type GroupRate = 'selection_rate' | 'tpr' | 'fpr';

const RATES: { key: GroupRate; label: string; color: string }[] = [
  { key: 'selection_rate', label: 'selection rate', color: COLORS.green },
  { key: 'tpr', label: 'true positive rate', color: COLORS.indigo },
  { key: 'fpr', label: 'false positive rate', color: COLORS.purple },
];

function bar(g: FairnessGroup, key: GroupRate, label: string): Bar | null {
  const v = g[key];
  if (v === null) return null;
  const why = g.reasons[key];
  return { value: v, tooltip: `${g.value}: ${label} ${fmtMetric(v)}${why ? ` (${why})` : ''}` };
}

function summary(f: FairnessReport): string {
  return [
    `demographic parity difference ${fmtMetric(f.demographic_parity_difference)}`,
    `equalized odds difference ${fmtMetric(f.equalized_odds_difference)}`,
    `disparate impact ${fmtMetric(f.disparate_impact_ratio)}`,
  ].join(' · ');
}

export function fairnessCharts(report: EvaluationReport, candidateName: string): SafeHtml[] {
  return Object.values(report.fairness)
    .filter((f) => f.groups.length > 0)
    .map((f) =>
      barChart({
        chart: `fairness:${f.column}`,
        title: `Fairness by ${f.column} (${candidateName})`,
        categories: f.groups.map((g) => ({ label: g.value, note: `n = ${fmtInt(g.rows)} · ${fmtInt(g.positives)} positives` })),
        series: RATES.map((r) => ({ name: r.key, label: r.label, color: r.color, values: f.groups.map((g) => bar(g, r.key, r.label)) })),
        x: { title: 'Rate', domain: [0, 1] },
        footnote: summary(f),
      }),
    );
}
