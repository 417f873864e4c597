/**
 * The threshold-free views of candidate against champion on the holdout: ROC, precision–recall
 * and the reliability (calibration) diagram. Each returns null when neither model has a curve,
 * so the page can say why instead of drawing empty axes.
 */
import { fmtInt, fmtMetric } from '../format';
import { group, rect } from '../svg/primitives';
import { join, type SafeHtml } from '../html';
import { COLORS } from '../svg/palette';
import { lineSeries, referenceLine, xyChart, type Layer, type XYPoint } from '../svg/xy-chart';
import type { CurvePoint, EvaluationReport, ReliabilityBin } from '../../validation/types';
import type { ContenderNames } from './labels';

const UNIT: readonly [number, number] = [0, 1];

interface Contender {
  name: 'candidate' | 'champion';
  label: string;
  color: string;
}

/** The models that have data to show, in drawing order: champion, then candidate on top. */
function contenders<T>(names: ContenderNames, candidate: T, champion: T | undefined): { who: Contender; data: T }[] {
  const out: { who: Contender; data: T }[] = [];
  if (names.champion !== null && champion !== undefined) {
    out.push({ who: { name: 'champion', label: names.champion, color: COLORS.champion }, data: champion });
  }
  out.push({ who: { name: 'candidate', label: names.candidate, color: COLORS.candidate }, data: candidate });
  return out;
}

function curveLayers(
  names: ContenderNames,
  candidate: readonly CurvePoint[],
  champion: readonly CurvePoint[] | undefined,
  summary: (who: Contender['name']) => string,
  shape: 'line' | 'step',
): Layer[] | null {
  const all = contenders(names, candidate, champion).filter((c) => c.data.length > 0);
  if (all.length === 0) return null;
  return all.map(({ who, data }) =>
    lineSeries({ name: who.name, label: `${who.label} (${summary(who.name)})`, color: who.color, points: data, shape }),
  );
}

function metricOf(report: EvaluationReport, who: Contender['name'], metric: 'auc' | 'average_precision' | 'ece'): number | null {
  return who === 'candidate' ? report.overall[metric] : (report.baseline?.overall[metric] ?? null);
}

export function rocChart(report: EvaluationReport, names: ContenderNames): SafeHtml | null {
  const series = curveLayers(names, report.curves.roc, report.baseline?.curves.roc, (w) => `AUC ${fmtMetric(metricOf(report, w, 'auc'))}`, 'line');
  if (!series) return null;
  return xyChart({
    chart: 'roc',
    title: 'ROC curve (holdout)',
    x: { title: 'False positive rate', domain: UNIT },
    y: { title: 'True positive rate', domain: UNIT },
    layers: [referenceLine({ label: 'chance', color: COLORS.reference, from: { x: 0, y: 0 }, to: { x: 1, y: 1 } }), ...series],
  });
}

/**
 * The share of positives among the labelled holdout rows, recovered from the reliability bins
 * (which partition every row). It is the precision of a model that ranks at random: the PR
 * curve's no-skill line.
 */
export function prevalence(bins: readonly ReliabilityBin[]): number | null {
  let rows = 0;
  let positives = 0;
  for (const b of bins) {
    if (b.positive_rate === null || b.rows <= 0) continue;
    rows += b.rows;
    positives += b.rows * b.positive_rate;
  }
  return rows > 0 ? positives / rows : null;
}

export function prChart(report: EvaluationReport, names: ContenderNames): SafeHtml | null {
  const series = curveLayers(names, report.curves.pr, report.baseline?.curves.pr, (w) => `AP ${fmtMetric(metricOf(report, w, 'average_precision'))}`, 'step');
  if (!series) return null;
  const base = prevalence(report.curves.reliability);
  const reference =
    base === null ? [] : [referenceLine({ label: `no skill (prevalence ${fmtMetric(base)})`, color: COLORS.reference, from: { x: 0, y: base }, to: { x: 1, y: base } })];
  return xyChart({
    chart: 'pr',
    title: 'Precision–recall curve (holdout)',
    x: { title: 'Recall', domain: UNIT },
    y: { title: 'Precision', domain: UNIT },
    layers: [...reference, ...series],
  });
}

function binPoints(bins: readonly ReliabilityBin[], maxRows: number, label: string): XYPoint[] {
  return bins.flatMap((b) =>
    b.mean_score === null || b.positive_rate === null || b.rows <= 0
      ? []
      : [
          {
            x: b.mean_score,
            y: b.positive_rate,
            // Marker area proportional to the bin's rows: a bin of 20 rows should not look as sure as one of 20 000.
            r: 2.5 + 6 * Math.sqrt(b.rows / maxRows),
            tooltip: `${label}: scores ${fmtMetric(b.lower)}–${fmtMetric(b.upper)}, ${fmtInt(b.rows)} rows, mean score ${fmtMetric(b.mean_score)}, positive rate ${fmtMetric(b.positive_rate)}`,
          },
        ],
  );
}

/** Rows per bin as faint columns along the bottom of the plot, one half-width column per model. */
function binSizeLayer(sets: { who: Contender; bins: readonly ReliabilityBin[] }[], maxRows: number): Layer {
  return {
    draw({ x, y, area }) {
      const height = area.height * 0.16;
      const bottom = y(0);
      const cols = sets.flatMap(({ who, bins }, k) =>
        bins
          .filter((b) => b.rows > 0 && Number.isFinite(b.lower) && Number.isFinite(b.upper))
          .map((b) => {
            const width = (x(b.upper) - x(b.lower)) / sets.length;
            const x0 = x(b.lower) + k * width;
            return rect(x0 + 1, bottom, x0 + width - 1, bottom - (height * b.rows) / maxRows, { fill: who.color, 'fill-opacity': 0.22 }, `${who.label}: ${fmtInt(b.rows)} rows with scores ${fmtMetric(b.lower)}–${fmtMetric(b.upper)}`);
          }),
      );
      return group(join(cols), { class: 'bin-sizes' });
    },
  };
}

export function reliabilityChart(report: EvaluationReport, names: ContenderNames): SafeHtml | null {
  const sets = contenders(names, report.curves.reliability, report.baseline?.curves.reliability)
    .map(({ who, data }) => ({ who, bins: data }))
    .filter((s) => s.bins.some((b) => b.rows > 0 && b.mean_score !== null && b.positive_rate !== null));
  if (sets.length === 0) return null;
  const maxRows = Math.max(...sets.flatMap((s) => s.bins.map((b) => b.rows)));
  const series = sets.map(({ who, bins }) =>
    lineSeries({
      name: who.name,
      label: `${who.label} (ECE ${fmtMetric(metricOf(report, who.name, 'ece'))})`,
      color: who.color,
      points: binPoints(bins, maxRows, who.label),
      markers: true,
    }),
  );
  return xyChart({
    chart: 'reliability',
    title: 'Calibration (reliability diagram)',
    x: { title: 'Mean predicted score in bin', domain: UNIT },
    y: { title: 'Observed positive rate', domain: UNIT },
    layers: [binSizeLayer(sets, maxRows), referenceLine({ label: 'perfectly calibrated', color: COLORS.reference, from: { x: 0, y: 0 }, to: { x: 1, y: 1 } }), ...series],
    footnote: `Marker area and bottom columns: rows per bin (max ${fmtInt(maxRows)}).`,
  });
}
