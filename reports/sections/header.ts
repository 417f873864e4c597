/**
 * The top of the report: what is being decided (model, candidate vs champion, artifact, data
 * window) and the verdict banner, which says in one sentence why the run stands where it does.
 */
import type { GateResult } from '../../core/types';
import { fmtBytes, fmtDateRange, fmtDateTime, fmtInt, humanize, shortHash } from '../format';
import { html, type SafeHtml } from '../html';
import type { RunReportInput } from '../input';
import { dl, hashCode } from './common';

export type BannerTone = 'info' | 'good' | 'bad' | 'warn';

/** Colour of the verdict: red stops the eye, green means nothing is left to do, blue asks for a reader. */
export function bannerTone(verdict: string): BannerTone {
  switch (verdict) {
    case 'promoted':
    case 'approved':
      return 'good';
    case 'rejected':
    case 'failed':
      return 'bad';
    case 'expired':
      return 'warn';
    default:
      return 'info';
  }
}

/** Blocking gates that failed and were not overridden by an admin: the ones that stop the run. */
export function blockingFailures(gates: readonly GateResult[]): GateResult[] {
  return gates.filter((g) => g.blocking && g.verdict === 'fail' && !g.override);
}

/** The banner's sentence when the workflow did not supply one, derived from the gates. */
export function verdictSentence(input: Pick<RunReportInput, 'verdict' | 'verdictNote' | 'gates' | 'approval'>): string {
  if (input.verdictNote) return input.verdictNote;
  const failed = blockingFailures(input.gates);
  const gates =
    failed.length > 0
      ? `${failed.length} blocking gate${failed.length > 1 ? 's' : ''} failed: ${failed.map((g) => g.gate).join(', ')}`
      : input.gates.some((g) => g.blocking)
        ? 'all blocking gates passed'
        : 'no blocking gates were evaluated';
  if (input.approval) return `${gates}; approved by ${input.approval.by} at ${fmtDateTime(input.approval.at)}`;
  if (input.verdict === 'awaiting_approval') return `${gates}; awaiting approval`;
  return gates;
}

function gateCounts(gates: readonly GateResult[]): string {
  const counts = new Map<string, number>();
  for (const g of gates) counts.set(g.verdict, (counts.get(g.verdict) ?? 0) + 1);
  const order = ['fail', 'warn', 'insufficient_data', 'skipped', 'pass'];
  return order
    .filter((v) => counts.has(v))
    .map((v) => `${counts.get(v)} ${v.replace('_', ' ')}`)
    .join(' · ');
}

export function renderHeader(input: RunReportInput): SafeHtml {
  const { candidate, champion, snapshot } = input;
  const tone = bannerTone(input.verdict);
  const versions = html`<span class="vs">${candidate.version === null ? 'unregistered candidate' : `candidate v${candidate.version}`}</span>
    <span class="vs-sep">vs</span>
    ${champion ? html`<span class="vs">champion v${champion.version}</span>` : html`<span class="vs none">no champion yet: absolute gates only</span>`}`;
  const facts = dl([
    ['Candidate artifact', html`${hashCode(candidate.sha256, shortHash(candidate.sha256))} <span class="dim">${fmtBytes(candidate.bytes)}</span>`],
    ['Champion artifact', champion ? hashCode(champion.sha256, shortHash(champion.sha256)) : html`<span class="dim">none</span>`],
    ['Data window', fmtDateRange(snapshot.timeRange)],
    ['Holdout', `${fmtInt(input.evaluation.rows)} labelled rows`],
    ['Run', html`<code>${input.runId}</code>`],
    ['Generated', fmtDateTime(input.generatedAt)],
  ]);
  const counts = gateCounts(input.gates);
  return html`<header class="top">
  <div class="eyebrow">Ratchet · candidate report</div>
  <h1>${input.model}</h1>
  <div class="versions">${versions}</div>
  ${facts}
</header>
<div class="banner banner-${tone}" role="status" data-testid="verdict-banner" data-verdict="${input.verdict}">
  <div class="banner-verdict">${humanize(input.verdict)}</div>
  <div class="banner-text">${verdictSentence(input)}</div>
  ${counts ? html`<div class="banner-counts">gates: ${counts}</div>` : ''}
</div>`;
}
