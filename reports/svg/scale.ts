/**
 * Scales and "nice" ticks: the arithmetic every chart shares, so axes agree with the marks
 * drawn on them. Ticks are multiples of 1, 2 or 5 × 10^k (the steps people read without effort)
 * and are rounded to the step's precision, so 0.1 + 0.2 never shows up as 0.30000000000000004.
 */

export interface NiceTicks {
  /** The domain widened to whole steps: the axis starts and ends on a tick. */
  min: number;
  max: number;
  step: number;
  ticks: number[];
  /** Decimals needed to print every tick exactly. */
  decimals: number;
}

const STEP_MULTIPLIERS = [1, 2, 5];

function checkFinite(name: string, v: number): void {
  if (!Number.isFinite(v)) throw new RangeError(`${name} must be finite, got ${v}`);
}

/** Decimals of `step` (1 → 0, 0.5 → 1, 0.02 → 2). */
function decimalsOf(step: number): number {
  for (let d = 0; d <= 12; d++) {
    if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-9) return d;
  }
  return 12;
}

/**
 * The smallest 1/2/5 × 10^k step that covers [min, max] in at most `maxTicks` intervals, and the
 * ticks on it. A zero-width domain is widened (a chart of all-equal values still needs an axis).
 */
export function niceTicks(min: number, max: number, maxTicks = 5): NiceTicks {
  checkFinite('min', min);
  checkFinite('max', max);
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= min === 0 ? 0 : pad;
    max += pad;
  }
  // At least two intervals: a step wider than the domain then always fits (0 sits on a tick), so
  // the search below ends.
  const count = Math.max(2, Math.floor(maxTicks));
  const intervals = (step: number) => Math.ceil(max / step - 1e-9) - Math.floor(min / step + 1e-9);
  // Start at the decade of the raw step and widen until the aligned ends fit: aligning both ends
  // to whole steps can add an interval, so the first step wide enough is not always enough.
  let magnitude = 10 ** Math.floor(Math.log10((max - min) / count));
  let step = NaN;
  while (Number.isNaN(step)) {
    for (const m of STEP_MULTIPLIERS) {
      if (intervals(m * magnitude) <= count) {
        step = m * magnitude;
        break;
      }
    }
    magnitude *= 10;
  }
  const decimals = decimalsOf(step);
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) {
    const t = Number((k * step).toFixed(decimals));
    ticks.push(t === 0 ? 0 : t); // no "-0"
  }
  return { min: ticks[0]!, max: ticks[ticks.length - 1]!, step, ticks, decimals };
}

export interface LinearScale {
  (value: number): number;
  domain: readonly [number, number];
  range: readonly [number, number];
}

/** Maps [d0, d1] linearly onto [r0, r1]; a zero-width domain maps everything to r0. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  checkFinite('domain start', d0);
  checkFinite('domain end', d1);
  const span = d1 - d0;
  const scale = ((v: number) => (span === 0 ? r0 : r0 + ((v - d0) / span) * (r1 - r0))) as LinearScale;
  scale.domain = [d0, d1];
  scale.range = [r0, r1];
  return scale;
}

export interface BandScale {
  /** Start of band i. */
  start(index: number): number;
  /** Centre of band i. */
  center(index: number): number;
  bandwidth: number;
  step: number;
}

/**
 * `n` equal bands across [r0, r1]; `padding` (0..1) of each step is left empty, half on each side,
 * so neighbouring bars never touch.
 */
export function bandScale(n: number, range: readonly [number, number], padding = 0.2): BandScale {
  const [r0, r1] = range;
  const step = n > 0 ? (r1 - r0) / n : 0;
  const bandwidth = step * (1 - padding);
  const offset = (step * padding) / 2;
  return {
    start: (i) => r0 + i * step + offset,
    center: (i) => r0 + i * step + offset + bandwidth / 2,
    bandwidth,
    step,
  };
}

/** The [min, max] of the finite values, or null when there are none. */
export function extent(values: Iterable<number | null | undefined>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Formats a tick with exactly the decimals its step needs ("0.2", not "0.2000" or "0.20000000001"). */
export function formatTick(value: number, decimals: number): string {
  const s = value.toFixed(decimals);
  return s.startsWith('-') && Number(s) !== 0 ? `−${s.slice(1)}` : s.replace(/^-/, '');
}
