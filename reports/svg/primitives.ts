/**
 * The SVG elements every chart is drawn with. Coordinates go through `coord`, which refuses
 * non-finite numbers: a NaN in a path silently truncates the line in every browser, so it must
 * never reach an attribute (series drop undefined points before they get here).
 */
import { attrs, html, raw, type HtmlValue, type SafeHtml } from '../html';

/** Two decimals: sub-pixel enough for any screen, and keeps the markup short. */
export function coord(v: number): number {
  if (!Number.isFinite(v)) throw new RangeError(`non-finite SVG coordinate: ${v}`);
  const r = Math.round(v * 100) / 100;
  return r === 0 ? 0 : r; // no "-0"
}

export interface Point {
  x: number;
  y: number;
}

export type Extra = Record<string, string | number | boolean | null | undefined>;

/** Path data through the points in order ("M x y L x y ..."). */
export function polylinePath(points: readonly Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${coord(p.x)} ${coord(p.y)}`).join('');
}

/**
 * One element. A tooltip becomes a <title> child, which browsers show on hover and screen readers
 * read; it is how a chart exposes exact values without cluttering the plot.
 */
function element(tag: string, attributes: Extra, content: HtmlValue = null, tooltip?: string): SafeHtml {
  const a = attrs(attributes);
  const inner = html`${tooltip === undefined ? '' : html`<title>${tooltip}</title>`}${content}`;
  return inner.value === '' ? html`<${raw(tag)}${a}/>` : html`<${raw(tag)}${a}>${inner}</${raw(tag)}>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, extra: Extra = {}, tooltip?: string): SafeHtml {
  return element('line', { x1: coord(x1), y1: coord(y1), x2: coord(x2), y2: coord(y2), ...extra }, null, tooltip);
}

/** A rectangle from two corners in any order (bars can grow left of zero). */
export function rect(x1: number, y1: number, x2: number, y2: number, extra: Extra = {}, tooltip?: string): SafeHtml {
  const box = { x: coord(Math.min(x1, x2)), y: coord(Math.min(y1, y2)), width: coord(Math.abs(x2 - x1)), height: coord(Math.abs(y2 - y1)) };
  return element('rect', { ...box, ...extra }, null, tooltip);
}

export function circle(cx: number, cy: number, r: number, extra: Extra = {}, tooltip?: string): SafeHtml {
  return element('circle', { cx: coord(cx), cy: coord(cy), r: coord(r), ...extra }, null, tooltip);
}

export function path(d: string, extra: Extra = {}, tooltip?: string): SafeHtml {
  return element('path', { d, ...extra }, null, tooltip);
}

export function text(x: number, y: number, content: HtmlValue, extra: Extra = {}, tooltip?: string): SafeHtml {
  return element('text', { x: coord(x), y: coord(y), ...extra }, content, tooltip);
}

export function group(content: HtmlValue, extra: Extra = {}): SafeHtml {
  return element('g', extra, content);
}

/**
 * Rough rendered width of a label in the report's sans-serif face. Layout (margins, legend
 * wrapping) needs it before any browser has measured anything; 0.6 em per character
 * over-estimates typical text slightly, which errs on the side of no overlap.
 */
export function textWidth(label: string, fontSize: number): number {
  return label.length * fontSize * 0.6;
}

/** Shortens a label to fit `maxWidth`, ending it with an ellipsis (the full text goes in a tooltip). */
export function fitText(label: string, fontSize: number, maxWidth: number): string {
  if (textWidth(label, fontSize) <= maxWidth) return label;
  const chars = Math.max(1, Math.floor(maxWidth / (fontSize * 0.6)) - 1);
  return `${label.slice(0, chars)}…`;
}
