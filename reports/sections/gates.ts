/**
 * The gate table: every gate's verdict with its evidence, failed blocking gates first, because
 * those are what the approver (or the rejection) is about.
 */
import type { GateResult } from '../../core/types';
import { fmtDateTime, fmtNumber } from '../format';
import { html, join, type SafeHtml } from '../html';
import { numCell, section, valueOrMissing } from './common';

/** Sort key: what needs attention first. An admin-overridden failure comes after live ones. */
function rank(g: GateResult): number {
  if (g.verdict === 'fail' && g.blocking && !g.override) return 0;
  if (g.verdict === 'fail' && g.blocking) return 1;
  if (g.verdict === 'fail') return 2;
  if (g.verdict === 'warn') return 3;
  if (g.verdict === 'insufficient_data') return 4;
  if (g.verdict === 'skipped') return 5;
  return 6;
}

/** Stable: gates of the same rank keep the order the gate module produced. */
export function orderGates(gates: readonly GateResult[]): GateResult[] {
  return gates.map((g, i) => ({ g, i })).sort((a, b) => rank(a.g) - rank(b.g) || a.i - b.i).map(({ g }) => g);
}

export function verdictPill(verdict: string): SafeHtml {
  const known = ['pass', 'warn', 'fail', 'insufficient_data', 'skipped'].includes(verdict) ? verdict : 'other';
  return html`<span class="pill pill-${known}">${verdict.replace(/_/g, ' ')}</span>`;
}

/** Gate names are "kind:detail" (slice_non_regression:region=north): let them wrap at the colon. */
function gateName(name: string): SafeHtml {
  return join(name.split(':'), html`:<wbr>`);
}

function row(g: GateResult): SafeHtml {
  const override = g.override
    ? html`<span class="override">by <strong>${g.override.by}</strong> <span class="dim">${fmtDateTime(g.override.at)}</span><br>${g.override.reason}</span>`
    : html`<span class="dim">—</span>`;
  const cls = g.verdict === 'fail' && g.blocking && !g.override ? 'row-blocking-fail' : undefined;
  return html`<tr${cls ? html` class="${cls}"` : ''} data-gate="${g.gate}">
  <td><code class="gate-name">${gateName(g.gate)}</code></td>
  <td>${verdictPill(g.verdict)}${g.override ? html` <span class="overridden">overridden</span>` : ''}</td>
  <td>${g.blocking ? html`<strong>blocking</strong>` : html`<span class="dim">advisory</span>`}</td>
  ${numCell(valueOrMissing(fmtNumber(g.value), 'no value: see the evidence'))}
  ${numCell(valueOrMissing(fmtNumber(g.threshold), 'no threshold'))}
  <td class="evidence">${g.evidence}</td>
  <td>${override}</td>
</tr>`;
}

export function renderGates(gates: readonly GateResult[]): SafeHtml {
  if (gates.length === 0) return section('gates', 'Gates', html`<p class="empty">No gates were evaluated on this run.</p>`);
  const body = html`<div class="table-wrap"><table class="gates">
<thead><tr><th>Gate</th><th>Verdict</th><th>Blocking</th><th class="num">Value</th><th class="num">Threshold</th><th>Evidence</th><th>Override</th></tr></thead>
<tbody>${orderGates(gates).map(row)}</tbody>
</table></div>`;
  return section('gates', 'Gates', body, 'Blocking gates that failed come first; an override records the admin who accepted the failure and why.');
}
