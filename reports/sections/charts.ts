/**
 * The charts section: holdout curves, slices, fairness, drift and importance, each as inline SVG.
 * A chart that has nothing to draw is replaced by a sentence saying so, never by empty axes.
 */
import { driftChart } from '../charts/drift';
import { fairnessCharts } from '../charts/fairness';
import { importanceChart } from '../charts/importance';
import type { ContenderNames } from '../charts/labels';
import { prChart, reliabilityChart, rocChart } from '../charts/curves';
import { sliceCharts } from '../charts/slices';
import { fmtMetric } from '../format';
import { html, type HtmlValue, type SafeHtml } from '../html';
import type { RunReportInput } from '../input';
import { numCell, section, valueOrMissing } from './common';

function figure(chart: SafeHtml | null, missing: string): SafeHtml {
  return chart ? html`<figure class="figure">${chart}</figure>` : html`<div class="figure chart-empty">${missing}</div>`;
}

function block(title: string, content: HtmlValue, cls = 'grid-2'): SafeHtml {
  return html`<div class="chart-block"><h3>${title}</h3><div class="${cls}">${content}</div></div>`;
}

function curveMissing(input: RunReportInput, what: string): string {
  const reason = input.evaluation.overall.reasons.auc;
  return `${what}: no curve to draw${reason ? ` (${reason})` : ''}.`;
}

function fairnessTable(input: RunReportInput): SafeHtml | '' {
  const reports = Object.values(input.evaluation.fairness);
  if (reports.length === 0) return '';
  const cell = (v: number | null, why: string | undefined) => numCell(valueOrMissing(fmtMetric(v), why));
  return html`<div class="table-wrap"><table class="fairness-summary">
<thead><tr><th>Protected attribute</th><th class="num">Groups</th><th class="num">Demographic parity diff.</th><th class="num">Demographic parity ratio</th><th class="num">Equalized odds diff.</th><th class="num">Equalized odds ratio</th><th class="num">Disparate impact</th></tr></thead>
<tbody>${reports.map(
    (f) => html`<tr><th scope="row">${f.column}</th>${numCell(String(f.groups.length))}${cell(f.demographic_parity_difference, f.reasons.demographic_parity_difference)}${cell(
      f.demographic_parity_ratio,
      f.reasons.demographic_parity_ratio,
    )}${cell(f.equalized_odds_difference, f.reasons.equalized_odds_difference)}${cell(f.equalized_odds_ratio, f.reasons.equalized_odds_ratio)}${cell(
      f.disparate_impact_ratio,
      f.reasons.disparate_impact_ratio,
    )}</tr>`,
  )}</tbody></table></div>`;
}

export function renderCharts(input: RunReportInput, names: ContenderNames): SafeHtml {
  const report = input.evaluation;
  const curves = block(
    'Holdout curves',
    [
      figure(rocChart(report, names), curveMissing(input, 'ROC curve')),
      figure(prChart(report, names), curveMissing(input, 'Precision–recall curve')),
      figure(reliabilityChart(report, names), 'Reliability diagram: no bin holds a scored row.'),
    ],
    'grid-3',
  );
  const slices = sliceCharts(report, names);
  const slicesBlock = block(
    'Slices',
    slices.length ? slices.map((c) => figure(c, '')) : html`<p class="empty">No slice columns were evaluated${input.card.segments.length ? '' : ' (the model declares no segments)'}.</p>`,
  );
  const fairness = fairnessCharts(report, names.candidate);
  const fairnessBlock = block(
    'Fairness',
    fairness.length
      ? html`${fairness.map((c) => figure(c, ''))}`
      : html`<p class="empty">No protected attributes were evaluated${input.card.protected.length ? '' : ' (the model declares none)'}.</p>`,
  );
  const extra: SafeHtml[] = [];
  if (input.drift) extra.push(figure(driftChart(input.drift), 'Drift: no columns were compared.'));
  if (input.importance) extra.push(figure(importanceChart(input.importance, names), 'Permutation importance: no features were measured.'));
  return section(
    'charts',
    'Charts',
    html`${curves}${slicesBlock}${fairnessBlock}${fairness.length ? fairnessTable(input) : ''}${extra.length ? block('Drift and feature importance', extra) : ''}`,
    'Candidate in blue, champion in orange throughout; hover a mark for its exact value.',
  );
}
