/**
 * Linear axes with nice ticks, gridlines and a title. One function draws both orientations so
 * the x and y axes of every chart share the same tick logic and spacing.
 */
import { html, join, type SafeHtml } from '../html';
import type { PlotArea } from './frame';
import { group, line, text } from './primitives';
import { formatTick, linearScale, niceTicks, type LinearScale, type NiceTicks } from './scale';

export interface Axis {
  scale: LinearScale;
  ticks: NiceTicks;
}

/**
 * A scale over the nice-widened domain, so the first and last ticks sit exactly on the plot edges.
 * `range` is in pixels; pass it reversed ([bottom, top]) for a y axis.
 */
export function niceAxis(domain: readonly [number, number], range: readonly [number, number], maxTicks = 5): Axis {
  const ticks = niceTicks(domain[0], domain[1], maxTicks);
  return { scale: linearScale([ticks.min, ticks.max], range), ticks };
}

export interface AxisSpec {
  side: 'bottom' | 'left';
  area: PlotArea;
  axis: Axis;
  title: string;
  /** Gridlines across the plot at every tick; a light guide for reading values off bars. */
  grid?: boolean;
  /** How far from the axis line the title sits (room for the tick labels). */
  titleOffset?: number;
}

const TICK = 5;

export function drawAxis(spec: AxisSpec): SafeHtml {
  const { area, axis, side } = spec;
  const right = area.left + area.width;
  const bottom = area.top + area.height;
  const parts: SafeHtml[] = [];
  for (const t of axis.ticks.ticks) {
    const p = axis.scale(t);
    const label = formatTick(t, axis.ticks.decimals);
    if (side === 'bottom') {
      if (spec.grid) parts.push(line(p, area.top, p, bottom, { class: 'grid' }));
      parts.push(line(p, bottom, p, bottom + TICK, { class: 'tick' }));
      parts.push(text(p, bottom + TICK + 12, label, { class: 'tick-label', 'text-anchor': 'middle' }));
    } else {
      if (spec.grid) parts.push(line(area.left, p, right, p, { class: 'grid' }));
      parts.push(line(area.left - TICK, p, area.left, p, { class: 'tick' }));
      parts.push(text(area.left - TICK - 3, p, label, { class: 'tick-label', 'text-anchor': 'end', dy: '0.35em' }));
    }
  }
  const offset = spec.titleOffset ?? (side === 'bottom' ? 32 : 36);
  const axisLine =
    side === 'bottom' ? line(area.left, bottom, right, bottom, { class: 'axis' }) : line(area.left, area.top, area.left, bottom, { class: 'axis' });
  const title =
    side === 'bottom'
      ? text(area.left + area.width / 2, bottom + offset, spec.title, { class: 'axis-title', 'text-anchor': 'middle' })
      : text(area.left - offset, area.top + area.height / 2, spec.title, {
          class: 'axis-title',
          'text-anchor': 'middle',
          transform: `rotate(-90 ${Math.round(area.left - offset)} ${Math.round(area.top + area.height / 2)})`,
        });
  return group(html`${join(parts)}${axisLine}${title}`, { class: `axis-${side}` });
}
