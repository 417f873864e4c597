/**
 * The model card: what the model is for, what it was trained on, how it does per segment, what it
 * cannot do, and where every input came from (lineage), so the approval can be audited later.
 */
import { METRIC_LABELS, type ContenderNames } from '../charts/labels';
import { sliceMetric } from '../charts/slices';
import { fmtBytes, fmtDateRange, fmtDateTime, fmtDuration, fmtInt, fmtInterval, fmtMetric, fmtSigned, fmtValue, shortHash } from '../format';
import { html, type SafeHtml } from '../html';
import type { RunReportInput } from '../input';
import { readDelta } from './metrics';
import { dl, hashCode, kv, numCell, section, valueOrMissing } from './common';
import type { SliceReport } from '../../validation/types';

function features(input: RunReportInput): SafeHtml {
  if (input.card.features.length === 0) return html`<p class="empty">No features declared.</p>`;
  return html`<ul class="features">${input.card.features.map((f) => html`<li><code>${f.name}</code> <span class="type type-${f.type}">${f.type}</span></li>`)}</ul>`;
}

function segmentRow(s: SliceReport, names: ContenderNames, metric: ReturnType<typeof sliceMetric>): SafeHtml {
  const muted = s.status === 'insufficient_data';
  const delta = s.delta?.[metric];
  const champion = names.champion
    ? html`${numCell(valueOrMissing(fmtMetric(s.baseline?.[metric]), s.baseline?.reasons[metric] ?? 'no champion value for this slice'))}${numCell(
        valueOrMissing(fmtSigned(delta?.value), delta?.reason ?? 'no paired value'),
        { class: `delta delta-${readDelta(metric, delta?.ci)}` },
      )}`
    : '';
  return html`<tr${muted ? html` class="muted-row"` : ''}>
  <td>${s.column}</td><td>${s.value}</td>${numCell(fmtInt(s.rows))}
  <td>${muted ? html`<span class="pill pill-insufficient_data">insufficient data</span>` : html`<span class="dim">ok</span>`}</td>
  ${numCell(valueOrMissing(fmtMetric(s[metric]), s.reasons[metric]), { class: 'strong' })}
  ${numCell(html`<span class="ci">${valueOrMissing(fmtInterval(s.ci?.[metric]), 'no interval for this slice')}</span>`)}
  ${champion}
  ${numCell(valueOrMissing(fmtMetric(s.accuracy), s.reasons.accuracy))}
  ${numCell(valueOrMissing(fmtMetric(s.positive_rate), s.reasons.positive_rate))}
</tr>`;
}

function segmentTable(input: RunReportInput, names: ContenderNames): SafeHtml {
  const slices = input.evaluation.slices;
  if (slices.length === 0) return html`<p class="empty">No segments evaluated.</p>`;
  const metric = sliceMetric(slices);
  const label = METRIC_LABELS[metric];
  const champion = names.champion ? html`<th class="num">${label} ${names.champion}</th><th class="num">Δ ${label}</th>` : '';
  return html`<div class="table-wrap"><table class="segments">
<thead><tr><th>Segment</th><th>Value</th><th class="num">Rows</th><th>Status</th><th class="num">${label}</th><th class="num">CI</th>${champion}<th class="num">Accuracy</th><th class="num">Positive rate</th></tr></thead>
<tbody>${slices.map((s) => segmentRow(s, names, metric))}</tbody></table></div>`;
}

function lineage(input: RunReportInput): SafeHtml {
  const { snapshot, candidate, split } = input;
  const params = Object.entries(candidate.params);
  const paramTable = params.length
    ? html`<table class="params"><tbody>${params.map(([k, v]) => html`<tr><th scope="row"><code>${k}</code></th><td><code>${fmtValue(v)}</code></td></tr>`)}</tbody></table>`
    : html`<span class="dim">none</span>`;
  const splitTable = split
    ? html`<table class="splits"><thead><tr><th>Part</th><th class="num">Rows</th><th>Window</th></tr></thead><tbody>${(['train', 'valid', 'holdout'] as const).map(
        (part) => html`<tr><th scope="row">${part}</th>${numCell(fmtInt(split[part].rows))}<td>${fmtDateRange(split[part].timeRange)}</td></tr>`,
      )}</tbody></table>`
    : html`<span class="dim">not recorded</span>`;
  return kv([
    ['Snapshot', html`<code>${snapshot.snapshotId}</code> · ${fmtInt(snapshot.rows)} rows · ${fmtDateRange(snapshot.timeRange)}`],
    ['Snapshot content sha256', html`<code class="hash-full">${snapshot.contentSha256}</code>`],
    ['Source', snapshot.source],
    ['Trainer', html`<code>${candidate.trainer}</code>`],
    ['Parameters', paramTable],
    ['Split', splitTable],
    ['Candidate artifact sha256', html`<code class="hash-full">${candidate.sha256}</code> (${fmtBytes(candidate.bytes)})`],
    ['Champion', input.champion ? html`v${input.champion.version} · ${hashCode(input.champion.sha256, shortHash(input.champion.sha256))}` : 'none (first run)'],
  ]);
}

function cost(input: RunReportInput): SafeHtml | '' {
  const c = input.cost;
  if (!c) return '';
  const total = c.stages.reduce((sum, s) => sum + s.wallMs, 0);
  const stages = c.stages.length
    ? html`<div class="table-wrap"><table class="cost"><thead><tr><th>Stage</th><th class="num">Wall time</th><th class="num">CPU time</th><th class="num">Peak RSS</th></tr></thead><tbody>${c.stages.map(
        (s) => html`<tr><td>${s.stage}</td>${numCell(fmtDuration(s.wallMs))}${numCell(fmtDuration(s.cpuMs))}${numCell(fmtBytes(s.peakRssBytes))}</tr>`,
      )}</tbody><tfoot><tr><th scope="row">Total</th>${numCell(fmtDuration(total))}<td></td><td></td></tr></tfoot></table></div>`
    : html`<p class="empty">No per-stage timings were recorded.</p>`;
  return html`<h3>Cost</h3>${stages}${kv([
    ['Artifact size', fmtBytes(c.artifactBytes)],
    ['Snapshot size', fmtBytes(c.snapshotBytes)],
  ])}`;
}

function approval(input: RunReportInput): SafeHtml | '' {
  if (!input.approval) return '';
  const a = input.approval;
  return html`<h3>Approval</h3>${kv([
    ['Approved by', a.by],
    ['At', fmtDateTime(a.at)],
    ['Comment', a.comment || '—'],
  ])}`;
}

export function renderCard(input: RunReportInput, names: ContenderNames): SafeHtml {
  const { card, split, snapshot } = input;
  const trainWindow = split ? split.train.timeRange : snapshot.timeRange;
  const trainRows = split ? split.train.rows : snapshot.rows;
  const overview = dl([
    ['Owner', card.owner],
    ['Intended use', card.intendedUse],
    ['Training data', `${fmtInt(trainRows)} rows · ${fmtDateRange(trainWindow)}${split ? '' : ' (whole snapshot; split not recorded)'}`],
    ['Decision threshold', html`score ≥ ${fmtMetric(card.threshold)} predicts the positive class`],
    ['Segments', card.segments.length ? card.segments.join(', ') : 'none'],
    ['Protected attributes', card.protected.length ? card.protected.join(', ') : 'none'],
  ]);
  const limitations = card.limitations.length
    ? html`<ul class="limitations">${card.limitations.map((l) => html`<li>${l}</li>`)}</ul>`
    : html`<p class="empty">None recorded.</p>`;
  return section(
    'card',
    'Model card',
    html`${card.description ? html`<p class="description">${card.description}</p>` : ''}${overview}
<h3>Features (${input.card.features.length})</h3>${features(input)}
<h3>Metrics by segment</h3>${segmentTable(input, names)}
<h3>Known limitations</h3>${limitations}
<h3>Lineage</h3>${lineage(input)}
${cost(input)}${approval(input)}`,
  );
}
