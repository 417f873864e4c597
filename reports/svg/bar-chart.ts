/**
 * Horizontal grouped bars: one band per category (a slice, a group, a feature), one bar per series
 * inside it, optional error bars, per-category markers (the champion's value) and vertical
 * reference lines (warn/alert levels). Horizontal because category labels are long ("region =
 * north-east", feature names) and must stay readable without rotation.
 */
import { html, join, type SafeHtml } from '../html';
import { drawAxis, niceAxis } from './axis';
import { chartFrame } from './frame';
import type { LegendItem } from './legend';
import { COLORS } from './palette';
import { fitText, group, line, rect, text, textWidth } from './primitives';
import { bandScale, extent } from './scale';

export interface Bar {
  value: number;
  /** Interval drawn as a whisker, e.g. a bootstrap CI or ± one standard deviation. */
  error?: readonly [number, number] | null;
  /** Overrides the series colour (a drifted feature in the alert colour). */
  color?: string;
  tooltip?: string;
}

export interface BarSeries {
  name: string;
  label: string;
  color: string;
  /** Aligned with the categories; null = nothing to draw (the category's note says why). */
  values: readonly (Bar | null)[];
}

export interface BarMarkers {
  name: string;
  label: string;
  color: string;
  values: readonly (number | null)[];
  tooltips?: readonly (string | undefined)[];
}

export interface BarCategory {
  label: string;
  /** Second line under the label: size, status ("n = 12 · too few rows"). */
  note?: string;
  /** Drawn in grey: reported but not judged (insufficient data). */
  muted?: boolean;
}

export interface BarReference {
  value: number;
  label: string;
  color: string;
}

export interface BarChartSpec {
  chart: string;
  title: string;
  width?: number;
  categories: readonly BarCategory[];
  series: readonly BarSeries[];
  markers?: BarMarkers;
  references?: readonly BarReference[];
  /**
   * `base`: where bars start (default 0). AUC bars start at 0.5, chance level, so that the length
   * of a bar is the model's skill and the axis is not half spent on values no model takes.
   */
  x: { title: string; domain?: readonly [number, number]; base?: number };
  /** Replaces the automatic legend (series, markers, references) when colours carry more meaning. */
  legend?: readonly LegendItem[];
  footnote?: string;
}

const LABEL_FONT = 11;
const NOTE_FONT = 10;
const BAR_THICKNESS = 11;

function defaultLegend(spec: BarChartSpec): LegendItem[] {
  return [
    ...spec.series.map((s): LegendItem => ({ label: s.label, color: s.color, kind: 'bar' })),
    ...(spec.markers ? [{ label: spec.markers.label, color: spec.markers.color, kind: 'tick' as const }] : []),
    ...(spec.references ?? []).map((r): LegendItem => ({ label: r.label, color: r.color, kind: 'dash' })),
  ];
}

function valueDomain(spec: BarChartSpec): [number, number] {
  const values: number[] = [spec.x.base ?? 0, ...(spec.x.domain ?? [])];
  for (const s of spec.series) {
    for (const b of s.values) if (b) values.push(b.value, ...(b.error ?? []));
  }
  for (const m of spec.markers?.values ?? []) if (m !== null) values.push(m);
  for (const r of spec.references ?? []) values.push(r.value);
  return extent(values) ?? [0, 1];
}

export function barChart(spec: BarChartSpec): SafeHtml {
  const width = spec.width ?? 560;
  const labelWidth = Math.max(
    48,
    ...spec.categories.map((c) => Math.max(textWidth(c.label, LABEL_FONT), c.note ? textWidth(c.note, NOTE_FONT) : 0)),
  );
  const left = Math.min(Math.round(labelWidth) + 16, Math.round(width * 0.36));
  const margin = { left, right: 22, bottom: 42 };
  const hasNotes = spec.categories.some((c) => c.note);
  const band = Math.max(hasNotes ? 34 : 24, spec.series.length * (BAR_THICKNESS + 2) + 10);
  const plotHeight = Math.max(1, spec.categories.length) * band;
  const legend = spec.legend ?? defaultLegend(spec);

  return chartFrame({ chart: spec.chart, title: spec.title, width, plotHeight, margin, legend, footnote: spec.footnote }, (area) => {
    const axis = niceAxis(valueDomain(spec), [area.left, area.left + area.width], Math.max(2, Math.floor(area.width / 70)));
    const x = axis.scale;
    const bands = bandScale(spec.categories.length, [area.top, area.top + area.height], 0.18);
    const zero = x(spec.x.base ?? 0);
    const labelRoom = area.left - 12;

    const labels = spec.categories.map((c, i) => {
      const cy = bands.center(i);
      const shown = fitText(c.label, LABEL_FONT, labelRoom);
      const cls = c.muted ? 'category-label muted' : 'category-label';
      const labelY = c.note ? cy - 6 : cy;
      const label = text(area.left - 8, labelY, shown, { class: cls, 'text-anchor': 'end', dy: '0.35em' }, shown === c.label ? undefined : c.label);
      const note = c.note
        ? text(area.left - 8, cy + 8, fitText(c.note, NOTE_FONT, labelRoom), { class: c.muted ? 'category-note muted' : 'category-note', 'text-anchor': 'end', dy: '0.35em' }, c.note)
        : '';
      return html`${label}${note}`;
    });

    // Bars of one category sit next to each other, centred in the band.
    const groupHeight = spec.series.length * (BAR_THICKNESS + 2) - 2;
    const barTop = (i: number, s: number) => bands.center(i) - groupHeight / 2 + s * (BAR_THICKNESS + 2);

    const series = spec.series.map((s, si) => {
      let count = 0;
      const marks = s.values.map((b, i) => {
        if (!b || !Number.isFinite(b.value)) return '';
        count++;
        const muted = spec.categories[i]?.muted;
        const y0 = barTop(i, si);
        const fill = muted ? COLORS.muted : (b.color ?? s.color);
        const bar = rect(zero, y0, x(b.value), y0 + BAR_THICKNESS, { fill, 'data-point': i, class: 'bar' }, b.tooltip);
        const err = b.error && b.error.every(Number.isFinite) ? errorBar(x(b.error[0]), x(b.error[1]), y0 + BAR_THICKNESS / 2) : '';
        return html`${bar}${err}`;
      });
      return group(join(marks), { class: 'series', 'data-series': s.name, 'data-points': count });
    });

    const markers = spec.markers ? drawMarkers(spec.markers, (v) => x(v), (i) => [bands.start(i) + 1, bands.start(i) + bands.bandwidth - 1]) : '';

    const refs = (spec.references ?? []).map((r) =>
      line(x(r.value), area.top, x(r.value), area.top + area.height, { class: 'reference', stroke: r.color, 'stroke-dasharray': '5 4', 'data-reference': r.label }, r.label),
    );

    return html`${drawAxis({ side: 'bottom', area, axis, title: spec.x.title, grid: true })}${line(zero, area.top, zero, area.top + area.height, {
      class: 'axis',
    })}${join(labels)}${join(series)}${markers}${join(refs)}`;
  });
}

/** A horizontal whisker with end caps. */
function errorBar(x0: number, x1: number, cy: number): SafeHtml {
  return group(html`${line(x0, cy, x1, cy)}${line(x0, cy - 3.5, x0, cy + 3.5)}${line(x1, cy - 3.5, x1, cy + 3.5)}`, { class: 'error-bar' });
}

/** A short vertical tick per category: a reference value to compare that category's bars with. */
function drawMarkers(m: BarMarkers, x: (v: number) => number, span: (i: number) => [number, number]): SafeHtml {
  let count = 0;
  const ticks = m.values.map((v, i) => {
    if (v === null || !Number.isFinite(v)) return '';
    count++;
    const [y0, y1] = span(i);
    return line(x(v), y0, x(v), y1, { stroke: m.color, 'stroke-width': 3, 'stroke-linecap': 'round', 'data-point': i, class: 'marker' }, m.tooltips?.[i]);
  });
  return group(join(ticks), { class: 'series markers', 'data-series': m.name, 'data-points': count });
}
