/**
 * Chart legends: swatches and labels laid out left to right, wrapping when a row is full. The
 * layout is computed before the chart so the chart can reserve exactly the rows it needs.
 */
import { html, join, type SafeHtml } from '../html';
import { circle, group, line, rect, text, textWidth } from './primitives';

export type LegendKind = 'line' | 'dash' | 'bar' | 'marker' | 'tick';

export interface LegendItem {
  label: string;
  color: string;
  kind: LegendKind;
}

export const LEGEND_FONT = 11;
const ROW_HEIGHT = 16;
const SWATCH = 18;
const GAP = 16;

export interface LegendLayout {
  height: number;
  render(x: number, y: number): SafeHtml;
}

function swatch(kind: LegendKind, color: string, x: number, cy: number): SafeHtml {
  switch (kind) {
    case 'line':
      return line(x, cy, x + SWATCH, cy, { stroke: color, 'stroke-width': 2.5 });
    case 'dash':
      return line(x, cy, x + SWATCH, cy, { stroke: color, 'stroke-width': 1.5, 'stroke-dasharray': '4 3' });
    case 'bar':
      return rect(x + 3, cy - 5, x + 15, cy + 5, { fill: color });
    case 'marker':
      return circle(x + SWATCH / 2, cy, 4, { fill: color, stroke: '#fff', 'stroke-width': 1 });
    case 'tick':
      return line(x + SWATCH / 2, cy - 6, x + SWATCH / 2, cy + 6, { stroke: color, 'stroke-width': 3 });
  }
}

/** Places the items in rows no wider than `maxWidth`. */
export function layoutLegend(items: readonly LegendItem[], maxWidth: number): LegendLayout {
  const placed: { item: LegendItem; dx: number; row: number }[] = [];
  let dx = 0;
  let row = 0;
  for (const item of items) {
    const width = SWATCH + 5 + textWidth(item.label, LEGEND_FONT);
    if (dx > 0 && dx + width > maxWidth) {
      row++;
      dx = 0;
    }
    placed.push({ item, dx, row });
    dx += width + GAP;
  }
  const rows = items.length === 0 ? 0 : row + 1;
  return {
    height: rows * ROW_HEIGHT,
    render(x, y) {
      const parts = placed.map(({ item, dx: ix, row: r }) => {
        const cy = y + r * ROW_HEIGHT + ROW_HEIGHT / 2;
        return html`${swatch(item.kind, item.color, x + ix, cy)}${text(x + ix + SWATCH + 5, cy, item.label, { class: 'legend-label', dy: '0.35em' })}`;
      });
      return group(join(parts), { class: 'legend' });
    },
  };
}
