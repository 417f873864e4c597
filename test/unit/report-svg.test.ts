/**
 * The report's chart library: nice ticks and scales, escaping in markup, and the charts' output
 * for known inputs (point counts, coordinates inside the plot area, no NaN anywhere).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prChart, prevalence, reliabilityChart, rocChart } from '../../reports/charts/curves';
import { sliceCharts } from '../../reports/charts/slices';
import { driftChart } from '../../reports/charts/drift';
import { importanceChart } from '../../reports/charts/importance';
import { fairnessCharts } from '../../reports/charts/fairness';
import { attrs, escapeHtml, html, join, raw } from '../../reports/html';
import { barChart } from '../../reports/svg/bar-chart';
import { coord, fitText, polylinePath } from '../../reports/svg/primitives';
import { bandScale, extent, formatTick, linearScale, niceTicks } from '../../reports/svg/scale';
import { lineSeries, referenceLine, xyChart } from '../../reports/svg/xy-chart';
import type { EvaluationReport } from '../../validation/types';
import { fixtureEvaluation, fixtureInput } from '../fixtures/reports/run-report-fixture';

// ---- helpers that read SVG markup back (no DOM in unit tests) ----

function attrValues(svg: string): string[] {
  return [...svg.matchAll(/\s[\w:-]+="([^"]*)"/g)].map((m) => m[1]!);
}

function assertNoNaN(svg: string): void {
  for (const v of attrValues(svg)) assert.doesNotMatch(v, /NaN|Infinity|undefined|null/, `bad attribute value: ${v}`);
}

function seriesPoints(svg: string, series: string): number {
  const m = new RegExp(`data-series="${series}" data-points="(\\d+)"`).exec(svg);
  assert.ok(m, `series ${series} not found`);
  return Number(m[1]);
}

/** The plot area the frame declared for the marks. */
function plotBox(svg: string): { left: number; right: number; top: number; bottom: number } {
  const m = /data-plot-area="([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)"/.exec(svg);
  assert.ok(m, 'plot area not found');
  const [left, top, width, height] = [1, 2, 3, 4].map((i) => Number(m[i]));
  return { left: left!, right: left! + width!, top: top!, bottom: top! + height! };
}

/** The first and last tick values of the bottom axis. */
function xTickRange(svg: string): [number, number] {
  const axis = /<g class="axis-bottom">(.*?)<\/g>/s.exec(svg);
  assert.ok(axis, 'no bottom axis');
  const ticks = [...axis[1]!.matchAll(/class="tick-label"[^>]*>([^<]+)</g)].map((m) => Number(m[1]!.replace('−', '-')));
  return [ticks[0]!, ticks[ticks.length - 1]!];
}

/** Every coordinate drawn by the series groups: path vertices and circle centres. */
function seriesCoordinates(svg: string): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  for (const g of svg.matchAll(/<g class="series[^"]*" data-series="[^"]+" data-points="\d+">(.*?)<\/g>/gs)) {
    for (const d of g[1]!.matchAll(/ d="([^"]+)"/g)) {
      for (const p of d[1]!.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)) out.push({ x: Number(p[1]), y: Number(p[2]) });
    }
    for (const c of g[1]!.matchAll(/cx="(-?[\d.]+)" cy="(-?[\d.]+)"/g)) out.push({ x: Number(c[1]), y: Number(c[2]) });
  }
  return out;
}

function assertInside(svg: string): void {
  const box = plotBox(svg);
  const points = seriesCoordinates(svg);
  assert.ok(points.length > 0, 'no series coordinates');
  for (const p of points) {
    assert.ok(p.x >= box.left - 0.01 && p.x <= box.right + 0.01, `x ${p.x} outside [${box.left}, ${box.right}]`);
    assert.ok(p.y >= box.top - 0.01 && p.y <= box.bottom + 0.01, `y ${p.y} outside [${box.top}, ${box.bottom}]`);
  }
}

const names = { candidate: 'candidate v8', champion: 'champion v7' };
const firstRun = { candidate: 'candidate v1', champion: null };

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 × 10^k and lands on the ends of a unit domain', () => {
    assert.deepEqual(niceTicks(0, 1, 5).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(0, 1, 2).ticks, [0, 0.5, 1]);
    assert.deepEqual(niceTicks(0, 0.37, 5).ticks, [0, 0.1, 0.2, 0.3, 0.4]);
    assert.deepEqual(niceTicks(0, 137, 5).ticks, [0, 50, 100, 150]);
  });

  it('widens the domain to whole steps and handles negatives without -0 or float noise', () => {
    const t = niceTicks(-0.013, 0.052, 5);
    assert.deepEqual(t.ticks, [-0.02, 0, 0.02, 0.04, 0.06]);
    assert.equal(t.min, -0.02);
    assert.equal(t.max, 0.06);
    assert.equal(t.decimals, 2);
    assert.ok(t.ticks.every((v) => !Object.is(v, -0)));
    const tenths = niceTicks(0.1, 0.7, 6).ticks;
    assert.deepEqual(tenths, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
  });

  it('never exceeds the requested number of intervals for ordinary domains', () => {
    for (const [lo, hi] of [[0, 1], [0, 0.291], [-0.0004, 0.065], [3, 97], [0.5, 1], [1e-4, 3e-3]] as const) {
      for (const n of [2, 4, 5, 7]) {
        const t = niceTicks(lo, hi, n);
        assert.ok(t.ticks.length - 1 <= n, `${lo}..${hi} in ${n}: ${t.ticks.join(',')}`);
        assert.ok(t.min <= lo && t.max >= hi);
        assert.ok([1, 2, 5].includes(Math.round(t.step / 10 ** Math.floor(Math.log10(t.step) + 1e-9))), `step ${t.step}`);
      }
    }
  });

  it('gives a zero-width domain an axis, and refuses non-finite input', () => {
    assert.deepEqual(niceTicks(0, 0).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
    const t = niceTicks(0.3, 0.3);
    assert.ok(t.min < 0.3 && t.max > 0.3);
    assert.throws(() => niceTicks(0, Number.NaN), RangeError);
    assert.throws(() => niceTicks(-Infinity, 1), RangeError);
  });

  it('formats ticks with exactly the decimals of the step and a true minus sign', () => {
    assert.equal(formatTick(0.30000000000000004, 1), '0.3');
    assert.equal(formatTick(-0.02, 2), '−0.02');
    assert.equal(formatTick(-0, 1), '0.0');
  });
});

describe('scales', () => {
  it('linearScale maps the domain onto the range, reversed ranges included', () => {
    const y = linearScale([0, 1], [300, 50]);
    assert.equal(y(0), 300);
    assert.equal(y(1), 50);
    assert.equal(y(0.5), 175);
    assert.equal(linearScale([2, 2], [10, 20])(2), 10);
  });

  it('bandScale splits the range into padded equal bands', () => {
    const b = bandScale(4, [0, 100], 0.2);
    assert.equal(b.step, 25);
    assert.equal(b.bandwidth, 20);
    assert.equal(b.start(0), 2.5);
    assert.equal(b.center(3), 87.5);
  });

  it('extent ignores nulls and non-finite values', () => {
    assert.deepEqual(extent([3, null, -1, Number.NaN, undefined, 7]), [-1, 7]);
    assert.equal(extent([null, Number.NaN]), null);
  });
});

describe('escaping and markup', () => {
  it('escapes the five HTML-significant characters', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('the html tag escapes strings, keeps SafeHtml, flattens arrays and drops null', () => {
    const evil = '<script>alert(1)</script>';
    const out = html`<p>${evil}${html`<b>${'&'}</b>`}${['<i>', raw('<br>')]}${null}${undefined}${false}${42}</p>`.value;
    assert.equal(out, '<p>&lt;script&gt;alert(1)&lt;/script&gt;<b>&amp;</b>&lt;i&gt;<br>42</p>');
    assert.equal(join(['a<', 'b'], raw('<hr>')).value, 'a&lt;<hr>b');
  });

  it('attrs escapes values and omits absent ones', () => {
    assert.equal(attrs({ title: '"><script>', hidden: true, skip: undefined, off: false, n: 3 }).value, ' title="&quot;&gt;&lt;script&gt;" hidden n="3"');
  });

  it('refuses a NaN in markup or a coordinate instead of writing it', () => {
    assert.throws(() => html`<rect x="${Number.NaN}"/>`, RangeError);
    assert.throws(() => coord(Number.POSITIVE_INFINITY), RangeError);
    assert.equal(coord(-0.001), 0);
    assert.equal(polylinePath([{ x: 1.234, y: 5 }, { x: 2, y: 6.789 }]), 'M1.23 5L2 6.79');
  });

  it('fitText shortens long labels with an ellipsis', () => {
    assert.equal(fitText('short', 11, 200), 'short');
    const cut = fitText('a-very-long-feature-name-that-will-not-fit', 10, 60);
    assert.ok(cut.endsWith('…') && cut.length < 15, cut);
  });
});

describe('xyChart', () => {
  const points = [
    { x: 0, y: 0 },
    { x: 0.25, y: 0.6 },
    { x: Number.NaN, y: 0.7 }, // undefined point: dropped, never drawn
    { x: 1, y: 1 },
  ];

  it('draws each series with its point count, inside the plot area, without NaN', () => {
    const svg = xyChart({
      chart: 'test',
      title: 'Test <chart>',
      x: { title: 'x', domain: [0, 1] },
      y: { title: 'y', domain: [0, 1] },
      layers: [
        referenceLine({ label: 'diagonal', color: '#999', from: { x: 0, y: 0 }, to: { x: 1, y: 1 } }),
        lineSeries({ name: 'a', label: 'series a', color: '#00f', points, markers: true }),
        lineSeries({ name: 'b', label: 'series b', color: '#f80', points: points.slice(0, 2), shape: 'step' }),
      ],
    }).value;
    assert.match(svg, /^<svg [^>]*data-chart="test"/);
    assert.match(svg, /Test &lt;chart&gt;/);
    assert.equal(seriesPoints(svg, 'a'), 3);
    assert.equal(seriesPoints(svg, 'b'), 2);
    assert.equal((svg.match(/<circle [^>]*data-point=/g) ?? []).length, 3);
    assertInside(svg);
    assertNoNaN(svg);
    // legend lists the topmost layer first
    assert.ok(svg.indexOf('series b') < svg.indexOf('series a') && svg.indexOf('series a') < svg.indexOf('>diagonal<'));
  });

  it('maps data to pixels: (0,0) at the bottom-left corner, (1,1) at the top-right', () => {
    const svg = xyChart({
      chart: 't',
      title: 't',
      x: { title: 'x', domain: [0, 1] },
      y: { title: 'y', domain: [0, 1] },
      layers: [lineSeries({ name: 'a', label: 'a', color: '#00f', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] })],
    }).value;
    const box = plotBox(svg);
    const [p0, p1] = seriesCoordinates(svg);
    assert.deepEqual(p0, { x: box.left, y: box.bottom });
    assert.deepEqual(p1, { x: box.right, y: box.top });
  });

  it('draws a step curve holding each y over the interval that ends at its x', () => {
    const svg = xyChart({
      chart: 't',
      title: 't',
      x: { title: 'x', domain: [0, 1] },
      y: { title: 'y', domain: [0, 1] },
      // given in scikit-learn's order (recall decreasing)
      layers: [lineSeries({ name: 's', label: 's', color: '#00f', shape: 'step', points: [{ x: 1, y: 0.2 }, { x: 0.5, y: 0.6 }, { x: 0, y: 1 }] })],
    }).value;
    const box = plotBox(svg);
    const px = (v: number) => box.left + v * (box.right - box.left);
    const py = (v: number) => box.bottom - v * (box.bottom - box.top);
    const drawn = seriesCoordinates(svg).map((p) => [Math.round(p.x), Math.round(p.y)]);
    const expected = [
      [0, 1],
      [0, 0.6],
      [0.5, 0.6],
      [0.5, 0.2],
      [1, 0.2],
    ].map(([x, y]) => [Math.round(px(x!)), Math.round(py(y!))]);
    assert.deepEqual(drawn, expected);
  });
});

describe('barChart', () => {
  it('draws one rect per defined value, error bars, markers and references, all inside the plot', () => {
    const svg = barChart({
      chart: 'bars',
      title: 'Bars',
      categories: [{ label: 'north' }, { label: '<b>south</b>', note: 'n = 12 · insufficient data', muted: true }, { label: 'east' }],
      series: [{ name: 'candidate', label: 'candidate', color: '#00f', values: [{ value: 0.8, error: [0.75, 0.85] }, { value: 0.6 }, null] }],
      markers: { name: 'champion', label: 'champion', color: '#f80', values: [0.78, null, 0.7] },
      references: [{ value: 0.9, label: 'alert', color: '#c00' }],
      x: { title: 'AUC', domain: [0, 1] },
    }).value;
    assert.equal(seriesPoints(svg, 'candidate'), 2);
    assert.equal(seriesPoints(svg, 'champion'), 2);
    assert.equal((svg.match(/<rect [^>]*data-point=/g) ?? []).length, 2);
    assert.equal((svg.match(/class="error-bar"/g) ?? []).length, 1);
    assert.match(svg, /data-reference="alert"/);
    assert.match(svg, /&lt;b&gt;south&lt;\/b&gt;/);
    assert.match(svg, /class="category-label muted"/);
    assertNoNaN(svg);
    const box = plotBox(svg);
    for (const r of svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"[^>]*data-point/g)) {
      const [x, y, w, h] = [1, 2, 3, 4].map((i) => Number(r[i]));
      assert.ok(x! >= box.left && x! + w! <= box.right + 0.01 && y! >= box.top && y! + h! <= box.bottom + 0.01, `bar outside the plot: ${r[0]}`);
    }
  });

  it('grows bars from a non-zero base (left of it for smaller values)', () => {
    const svg = barChart({
      chart: 'b',
      title: 'b',
      categories: [{ label: 'a' }, { label: 'b' }],
      series: [{ name: 's', label: 's', color: '#00f', values: [{ value: 0.75 }, { value: 0.4 }] }],
      x: { title: 'AUC', domain: [0.5, 1], base: 0.5 },
    }).value;
    const box = plotBox(svg);
    const [lo, hi] = xTickRange(svg);
    const px = (v: number) => box.left + ((v - lo) / (hi - lo)) * (box.right - box.left);
    const bars = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*data-point/g)].map((m) => [Number(m[1]), Number(m[1]) + Number(m[2])]);
    assert.equal(bars.length, 2);
    assert.ok(Math.abs(bars[0]![0]! - px(0.5)) < 0.02 && Math.abs(bars[0]![1]! - px(0.75)) < 0.02, `0.75 bar spans ${bars[0]}`);
    assert.ok(Math.abs(bars[1]![0]! - px(0.4)) < 0.02 && Math.abs(bars[1]![1]! - px(0.5)) < 0.02, `0.4 bar spans ${bars[1]}`);
  });
});

describe('report charts on the fixture', () => {
  const report = fixtureEvaluation();

  it('ROC: candidate and champion with 100 points each, AUC in the legend, the diagonal', () => {
    const svg = rocChart(report, names)!.value;
    assert.match(svg, /data-chart="roc"/);
    assert.equal(seriesPoints(svg, 'candidate'), 100);
    assert.equal(seriesPoints(svg, 'champion'), 100);
    assert.match(svg, /candidate v8 \(AUC 0\.\d{3}\)/);
    assert.match(svg, /data-reference="chance"/);
    assertInside(svg);
    assertNoNaN(svg);
  });

  it('PR: both models as step curves, AP in the legend, no-skill line at the prevalence', () => {
    const svg = prChart(report, names)!.value;
    assert.equal(seriesPoints(svg, 'candidate'), report.curves.pr.length);
    assert.equal(seriesPoints(svg, 'champion'), report.baseline!.curves.pr.length);
    assert.match(svg, /\(AP 0\.\d{3}\)/);
    assert.match(svg, /no skill \(prevalence 0\.230\)/);
    assert.ok(Math.abs(prevalence(report.curves.reliability)! - 0.23) < 0.001);
    assertInside(svg);
    assertNoNaN(svg);
  });

  it('reliability: one marker per non-empty bin (the champion has an empty top bin), sized by rows', () => {
    const svg = reliabilityChart(report, names)!.value;
    assert.equal(seriesPoints(svg, 'candidate'), 10);
    assert.equal(seriesPoints(svg, 'champion'), 9);
    const radii = [...svg.matchAll(/<circle [^>]*r="([\d.]+)"[^>]*data-point="(\d+)"/g)].slice(-10).map((m) => Number(m[1]));
    assert.ok(radii[0]! > radii[9]!, 'the most populated bin has the largest marker');
    assert.match(svg, /class="bin-sizes"/);
    assertInside(svg);
    assertNoNaN(svg);
  });

  it('a curve with only its two end points still draws a line', () => {
    const two: EvaluationReport = {
      ...report,
      baseline: undefined,
      curves: { ...report.curves, roc: [{ x: 0, y: 0, threshold: 1 }, { x: 1, y: 1, threshold: 0 }] },
    };
    const svg = rocChart(two, firstRun)!.value;
    assert.equal(seriesPoints(svg, 'candidate'), 2);
    assert.doesNotMatch(svg, /data-series="champion"/);
    assertInside(svg);
  });

  it('no curve at all gives null (the page then says why), not empty axes', () => {
    const empty: EvaluationReport = { ...report, baseline: undefined, curves: { roc: [], pr: [], reliability: [] } };
    assert.equal(rocChart(empty, firstRun), null);
    assert.equal(prChart(empty, firstRun), null);
    assert.equal(reliabilityChart(empty, firstRun), null);
  });

  it('slices: one chart per column, insufficient-data slices greyed and labelled, champion ticks', () => {
    const charts = sliceCharts(report, names).map((c) => c.value);
    assert.equal(charts.length, 2);
    const region = charts.find((c) => c.includes('data-chart="slices:region"'))!;
    assert.equal(seriesPoints(region, 'candidate'), 5);
    assert.equal(seriesPoints(region, 'champion'), 5);
    assert.match(region, /class="category-label muted"[^>]*>islands</);
    assert.match(region, /insufficient data/);
    assert.match(region, /fill="#C9CED6"/);
    assertNoNaN(region);
    assert.deepEqual(sliceCharts({ ...report, slices: [] }, names), []);
  });

  it('fairness: selection rate, TPR and FPR per group for each protected column', () => {
    const charts = fairnessCharts(report, 'candidate v8').map((c) => c.value);
    assert.equal(charts.length, 2);
    const age = charts.find((c) => c.includes('data-chart="fairness:age_band"'))!;
    for (const s of ['selection_rate', 'tpr', 'fpr']) assert.equal(seriesPoints(age, s), 4);
    assert.match(age, /disparate impact 0\.738/);
    assertNoNaN(age);
  });

  it('drift: PSI bars worst first with warn and alert lines; a null PSI draws no bar', () => {
    const drift = fixtureInput().drift!;
    const svg = driftChart(drift)!.value;
    assert.equal(seriesPoints(svg, 'psi'), drift.columns.length - 1);
    assert.match(svg, /data-reference="warn \(PSI 0\.1\)"/);
    assert.match(svg, /data-reference="alert \(PSI 0\.25\)"/);
    assert.ok(svg.indexOf('>utilization<') < svg.indexOf('>debt_ratio<'));
    assert.match(svg, /<rect [^>]*fill="#C0392B"[^>]*data-point/);
    assertNoNaN(svg);
    assert.equal(driftChart({ columns: [], warn: 0.1, alert: 0.25 }), null);
  });

  it('importance: candidate and champion side by side, with a negative importance left of zero', () => {
    const importance = fixtureInput().importance!;
    const svg = importanceChart(importance, names)!.value;
    assert.equal(seriesPoints(svg, 'candidate'), 9);
    assert.equal(seriesPoints(svg, 'champion'), 9);
    assertNoNaN(svg);
    const alone = importanceChart({ candidate: importance.candidate }, firstRun)!.value;
    assert.doesNotMatch(alone, /data-series="champion"/);
  });
});
