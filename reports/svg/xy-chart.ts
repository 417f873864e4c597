/**
 * Charts with two linear axes (ROC, precision–recall, reliability). A chart is a stack of layers
 * drawn in order over the axes; each layer may add one legend entry (listed topmost first). Series mark themselves with
 * `data-series` and `data-points` so tests and readers' scripts can find and count their points.
 */
import { html, join, type SafeHtml } from '../html';
import { drawAxis, niceAxis } from './axis';
import { chartFrame, type PlotArea } from './frame';
import type { LegendItem } from './legend';
import { circle, group, path, polylinePath, type Point } from './primitives';
import type { LinearScale } from './scale';

export interface Plot {
  area: PlotArea;
  x: LinearScale;
  y: LinearScale;
}

export interface Layer {
  legend?: LegendItem;
  draw(plot: Plot): SafeHtml;
}

export interface XYChartSpec {
  chart: string;
  title: string;
  width?: number;
  plotHeight?: number;
  x: { title: string; domain: readonly [number, number] };
  y: { title: string; domain: readonly [number, number] };
  layers: readonly Layer[];
  footnote?: string;
}

const MARGIN = { left: 54, right: 18, bottom: 44 };

export function xyChart(spec: XYChartSpec): SafeHtml {
  const width = spec.width ?? 380;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = spec.plotHeight ?? Math.round(plotWidth * 0.8);
  // Topmost layer first: the candidate, drawn last so it stays on top, leads the legend.
  const legend = spec.layers.flatMap((l) => (l.legend ? [l.legend] : [])).reverse();
  return chartFrame({ chart: spec.chart, title: spec.title, width, plotHeight, margin: MARGIN, legend, footnote: spec.footnote }, (area) => {
    const maxX = Math.max(2, Math.floor(area.width / 60));
    const maxY = Math.max(2, Math.floor(area.height / 45));
    const xAxis = niceAxis(spec.x.domain, [area.left, area.left + area.width], maxX);
    const yAxis = niceAxis(spec.y.domain, [area.top + area.height, area.top], maxY);
    const plot: Plot = { area, x: xAxis.scale, y: yAxis.scale };
    return html`${drawAxis({ side: 'bottom', area, axis: xAxis, title: spec.x.title, grid: true })}${drawAxis({
      side: 'left',
      area,
      axis: yAxis,
      title: spec.y.title,
      grid: true,
      titleOffset: 40,
    })}${join(spec.layers.map((l) => l.draw(plot)))}`;
  });
}

export interface XYPoint extends Point {
  /** Marker radius in pixels (e.g. proportional to a bin's size). */
  r?: number;
  tooltip?: string;
}

export interface LineSeriesSpec {
  /** `data-series` value, e.g. "candidate". */
  name: string;
  /** Legend text, e.g. "candidate v8 (AUC 0.871)". */
  label: string;
  color: string;
  points: readonly XYPoint[];
  /**
   * "step": the curve holds each point's y over the x interval that ends at the point (points
   * sorted by x). That is how average precision integrates a precision–recall curve, so the drawn
   * area matches the number in the legend; straight lines between PR points would overstate it.
   */
  shape?: 'line' | 'step';
  markers?: boolean;
  dashed?: boolean;
}

function isDrawable(p: XYPoint): boolean {
  return Number.isFinite(p.x) && Number.isFinite(p.y);
}

function stepPoints(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const out: Point[] = [];
  sorted.forEach((p, i) => {
    if (i > 0) out.push({ x: sorted[i - 1]!.x, y: p.y });
    out.push(p);
  });
  return out;
}

export function lineSeries(spec: LineSeriesSpec): Layer {
  // Undefined points (a reliability bin without rows) are skipped, never drawn at 0.
  const points = spec.points.filter(isDrawable);
  return {
    legend: { label: spec.label, color: spec.color, kind: spec.markers && points.length < 2 ? 'marker' : spec.dashed ? 'dash' : 'line' },
    draw({ x, y }) {
      const pixels = points.map((p) => ({ x: x(p.x), y: y(p.y) }));
      const d = polylinePath(spec.shape === 'step' ? stepPoints(pixels) : pixels);
      const stroke = {
        fill: 'none',
        stroke: spec.color,
        'stroke-width': 2,
        'stroke-linejoin': 'round',
        'stroke-dasharray': spec.dashed ? '6 3' : undefined,
      };
      const curve = points.length >= 2 ? path(d, { ...stroke, 'data-points': points.length, class: 'series-line' }) : '';
      const markers = spec.markers
        ? points.map((p, i) =>
            circle(pixels[i]!.x, pixels[i]!.y, p.r ?? 3.5, { fill: spec.color, 'fill-opacity': 0.85, stroke: '#fff', 'stroke-width': 1, 'data-point': i }, p.tooltip),
          )
        : [];
      return group(html`${curve}${join(markers)}`, { class: 'series', 'data-series': spec.name, 'data-points': points.length });
    },
  };
}

export interface ReferenceLineSpec {
  label: string;
  color: string;
  from: Point;
  to: Point;
  /** Some references are self-explanatory (the diagonal) but still deserve a legend entry. */
  legend?: boolean;
}

/** A dashed line between two points in data coordinates: the chance diagonal, a prevalence level. */
export function referenceLine(spec: ReferenceLineSpec): Layer {
  return {
    legend: spec.legend === false ? undefined : { label: spec.label, color: spec.color, kind: 'dash' },
    draw({ x, y }) {
      const d = polylinePath([
        { x: x(spec.from.x), y: y(spec.from.y) },
        { x: x(spec.to.x), y: y(spec.to.y) },
      ]);
      return path(d, { class: 'reference', stroke: spec.color, 'stroke-dasharray': '5 4', fill: 'none', 'data-reference': spec.label }, spec.label);
    },
  };
}
