/**
 * Headline metrics: candidate against champion on the same holdout rows, each with its bootstrap
 * interval, and the paired difference with its own interval. The paired interval is the one that
 * matters: two overlapping marginal intervals can still hide a clear paired improvement.
 */
import { improvementInterval, metricDirection } from '../../validation/metrics';
import { METRIC_NAMES, type EvaluationReport, type MetricName } from '../../validation/types';
import { fmtInt, fmtInterval, fmtMetric, fmtPercent, fmtSigned, fmtSignedInterval } from '../format';
import { html, type SafeHtml } from '../html';
import { METRIC_LABELS, type ContenderNames } from '../charts/labels';
import { numCell, section, valueOrMissing } from './common';

export type DeltaReading = 'better' | 'worse' | 'unclear';

/**
 * Whether the paired interval excludes zero, read in the metric's good direction (a fall in log
 * loss is better). Without an interval nothing can be claimed.
 */
export function readDelta(metric: MetricName, ci: readonly [number, number] | null | undefined): DeltaReading {
  if (!ci) return 'unclear';
  const [worst, best] = improvementInterval(metric, [ci[0], ci[1]]);
  if (worst > 0) return 'better';
  if (best < 0) return 'worse';
  return 'unclear';
}

function metricName(metric: MetricName): SafeHtml {
  const lower = metricDirection(metric) === 'lower_is_better';
  return html`${METRIC_LABELS[metric]}${lower ? html` <span class="dir" title="lower is better">↓ lower is better</span>` : ''}`;
}

function row(report: EvaluationReport, metric: MetricName, withChampion: boolean): SafeHtml {
  const cand = numCell(valueOrMissing(fmtMetric(report.overall[metric]), report.overall.reasons[metric]), { class: 'strong' });
  const candCi = numCell(html`<span class="ci">${valueOrMissing(fmtInterval(report.ci[metric]), 'too few bootstrap replicates were defined')}</span>`);
  if (!withChampion) return html`<tr><th scope="row">${metricName(metric)}</th>${cand}${candCi}</tr>`;
  const base = report.baseline;
  const champ = numCell(valueOrMissing(fmtMetric(base?.overall[metric]), base?.overall.reasons[metric]));
  const champCi = numCell(html`<span class="ci">${valueOrMissing(fmtInterval(base?.ci[metric]), 'too few bootstrap replicates were defined')}</span>`);
  const delta = report.delta?.[metric];
  const reading = readDelta(metric, delta?.ci);
  const deltaCell = numCell(valueOrMissing(fmtSigned(delta?.value), delta?.reason), { class: `delta delta-${reading}` });
  const deltaCi = numCell(html`<span class="ci">${valueOrMissing(fmtSignedInterval(delta?.ci), delta?.reason ?? 'no paired interval')}</span>`);
  const readingCell = html`<td class="reading reading-${reading}">${reading === 'unclear' ? 'no clear change' : reading}</td>`;
  return html`<tr><th scope="row">${metricName(metric)}</th>${cand}${candCi}${champ}${champCi}${deltaCell}${deltaCi}${readingCell}</tr>`;
}

function churnLine(report: EvaluationReport): SafeHtml | '' {
  const churn = report.churn;
  if (!churn) return '';
  if (churn.value === null) return html`<p class="note">Churn: — (${churn.reason ?? 'undefined'})</p>`;
  return html`<p class="note"><strong>Churn ${fmtPercent(churn.value)}</strong>: of the ${fmtInt(churn.baseline_correct)} rows the champion classified correctly, the candidate gets ${fmtInt(churn.flipped_to_wrong)} wrong.</p>`;
}

export function renderMetrics(report: EvaluationReport, names: ContenderNames): SafeHtml {
  const withChampion = names.champion !== null && report.baseline !== undefined;
  const level = `${Math.round(report.bootstrap.confidence * 100)}%`;
  const head = withChampion
    ? html`<tr><th>Metric</th><th class="num">${names.candidate}</th><th class="num">${level} CI</th><th class="num">${names.champion}</th><th class="num">${level} CI</th><th class="num" title="candidate − champion, on the same rows">Δ vs champion</th><th class="num">paired ${level} CI</th><th>Reading</th></tr>`
    : html`<tr><th>Metric</th><th class="num">${names.candidate}</th><th class="num">${level} CI</th></tr>`;
  // Three columns stretched across the page put values far from their names: keep a solo table compact.
  const table = html`<div class="table-wrap"><table class="${withChampion ? 'metrics' : 'metrics solo'}">
<thead>${head}</thead>
<tbody>${METRIC_NAMES.map((m) => row(report, m, withChampion))}</tbody>
</table></div>`;
  const b = report.bootstrap;
  const intro = html`${fmtInt(report.rows)} labelled holdout rows · decision threshold ${fmtMetric(report.threshold)} · ${fmtInt(b.replicates)} ${
    withChampion ? 'paired ' : ''
  }bootstrap replicates, ${level} percentile intervals (seed ${b.seed}).${withChampion ? '' : html` <strong>No champion yet: absolute gates only.</strong>`}`;
  const counts: string[] = [];
  if (report.unlabelledRows > 0) counts.push(`${fmtInt(report.unlabelledRows)} rows without a label were excluded`);
  if (report.nanScoreRows > 0) counts.push(`${fmtInt(report.nanScoreRows)} labelled rows have no candidate score (NaN)`);
  const notes = [...counts, ...report.notes];
  return section(
    'metrics',
    'Headline metrics',
    html`${table}${churnLine(report)}${notes.length ? html`<ul class="notes">${notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}`,
    intro,
  );
}
