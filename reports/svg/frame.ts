/**
 * The outer frame of every chart: the <svg> root with its data attributes, the title, the legend
 * and an optional footnote around a plot area. Charts only decide what goes inside the area.
 */
import { attrs, html, type HtmlValue, type SafeHtml } from '../html';
import { layoutLegend, type LegendItem } from './legend';
import { group, text } from './primitives';

export interface PlotArea {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Margins {
  left: number;
  right: number;
  bottom: number;
}

export interface FrameSpec {
  /** `data-chart` value: what a test or a reader's script looks for ("roc", "slices:region"). */
  chart: string;
  title: string;
  width: number;
  plotHeight: number;
  margin: Margins;
  legend: readonly LegendItem[];
  /** One line under the plot, e.g. how to read the marks. */
  footnote?: string;
}

const TITLE_BASELINE = 18;
const LEGEND_TOP = 30;
const FOOTNOTE_HEIGHT = 18;

/** Lays out the frame, asks `plot` to draw into the resulting area, and wraps everything in <svg>. */
export function chartFrame(spec: FrameSpec, plot: (area: PlotArea) => HtmlValue): SafeHtml {
  const legend = layoutLegend(spec.legend, spec.width - 16);
  const top = LEGEND_TOP + legend.height + 14;
  const area: PlotArea = {
    left: spec.margin.left,
    top,
    width: spec.width - spec.margin.left - spec.margin.right,
    height: spec.plotHeight,
  };
  const footnoteY = top + spec.plotHeight + spec.margin.bottom;
  const height = footnoteY + (spec.footnote ? FOOTNOTE_HEIGHT : 4);
  const root = attrs({
    xmlns: 'http://www.w3.org/2000/svg',
    class: 'chart',
    'data-chart': spec.chart,
    viewBox: `0 0 ${spec.width} ${height}`,
    width: spec.width,
    height,
    role: 'img',
    'aria-label': spec.title,
  });
  // data-plot-area states where marks may go, so a test (or a reader's script) can check them.
  const plotGroup = group(plot(area), { class: 'plot', 'data-plot-area': `${area.left} ${area.top} ${area.width} ${area.height}` });
  return html`<svg${root}>${text(8, TITLE_BASELINE, spec.title, { class: 'chart-title' })}${legend.render(8, LEGEND_TOP)}${plotGroup}${
    spec.footnote ? text(8, footnoteY + 12, spec.footnote, { class: 'chart-footnote' }) : ''
  }</svg>`;
}
