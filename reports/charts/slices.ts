/**
 * Per-slice quality: one bar chart per slice column, the candidate's metric with its bootstrap CI
 * and the champion's value on the same slice as a tick. Slices below the minimum row count are
 * drawn in grey and labelled: they are reported, never judged.
 */
import { fmtInt, fmtInterval, fmtMetric } from '../format';
import type { SafeHtml } from '../html';
import { barChart, type Bar, type BarCategory } from '../svg/bar-chart';
import { COLORS } from '../svg/palette';
import type { EvaluationReport, MetricName, SliceReport } from '../../validation/types';
import { METRIC_LABELS, type ContenderNames } from './labels';


/** Where bars start: AUC at chance level, every other metric at zero. */
function barBase(metric: MetricName): number {
  return metric === 'auc' ? 0.5 : 0;
}

/**
 * AUC is what the slice gate usually judges and is threshold-free; when it is undefined on every
 * slice (each holds one class) accuracy is the only comparable number left.
 */
export function sliceMetric(slices: readonly SliceReport[]): MetricName {
  return slices.some((s) => s.auc !== null) ? 'auc' : 'accuracy';
}

/** Slices grouped by column, in the order the report lists them. */
export function slicesByColumn(slices: readonly SliceReport[]): Map<string, SliceReport[]> {
  const byColumn = new Map<string, SliceReport[]>();
  for (const s of slices) {
    const list = byColumn.get(s.column) ?? [];
    list.push(s);
    byColumn.set(s.column, list);
  }
  return byColumn;
}

function category(s: SliceReport, metric: MetricName): BarCategory {
  const size = `n = ${fmtInt(s.rows)}`;
  if (s.status === 'insufficient_data') return { label: s.value, note: `${size} · insufficient data`, muted: true };
  if (s[metric] === null) return { label: s.value, note: `${size} · ${METRIC_LABELS[metric]} undefined: ${s.reasons[metric] ?? 'no value'}` };
  return { label: s.value, note: size };
}

export function sliceCharts(report: EvaluationReport, names: ContenderNames): SafeHtml[] {
  const metric = sliceMetric(report.slices);
  const label = METRIC_LABELS[metric];
  const level = Math.round(report.bootstrap.confidence * 100);
  return [...slicesByColumn(report.slices)].map(([column, slices]) => {
    const bars = slices.map((s): Bar | null => {
      const v = s[metric];
      if (v === null) return null;
      const ci = s.ci?.[metric] ?? null;
      return { value: v, error: ci, tooltip: `${column} = ${s.value}: ${label} ${fmtMetric(v)} ${ci ? `${level}% CI ${fmtInterval(ci)}` : ''} (n = ${fmtInt(s.rows)})` };
    });
    const champion = names.champion;
    const baseline = slices.map((s) => s.baseline?.[metric] ?? null);
    return barChart({
      chart: `slices:${column}`,
      title: `${label} by ${column}`,
      categories: slices.map((s) => category(s, metric)),
      series: [{ name: 'candidate', label: `${names.candidate} (whisker: ${level}% CI)`, color: COLORS.candidate, values: bars }],
      markers:
        champion && baseline.some((b) => b !== null)
          ? {
              name: 'champion',
              label: champion,
              color: COLORS.champion,
              values: baseline,
              tooltips: slices.map((s, i) => `${champion} on ${column} = ${s.value}: ${label} ${fmtMetric(baseline[i])}`),
            }
          : undefined,
      x: { title: label, domain: [barBase(metric), 1], base: barBase(metric) },
      footnote: barBase(metric) > 0 ? `Bars start at ${label} ${barBase(metric)} (chance level).` : undefined,
    });
  });
}
