/**
 * Small building blocks shared by the report's sections: a section wrapper, number cells and the
 * "—" that stands for an undefined value (with the reason on hover, never silently blank).
 */
import { MISSING } from '../format';
import { attrs, html, type HtmlValue, type SafeHtml } from '../html';

export function section(id: string, title: string, body: HtmlValue, intro?: HtmlValue): SafeHtml {
  return html`<section class="section" id="${id}"><h2>${title}</h2>${intro ? html`<p class="intro">${intro}</p>` : ''}${body}</section>`;
}

/** A value, or the em dash with the reason as its tooltip. */
export function valueOrMissing(formatted: string, reason?: string): SafeHtml {
  if (formatted !== MISSING) return html`${formatted}`;
  return html`<span${attrs({ class: 'missing', title: reason ?? 'not available' })}>${MISSING}</span>`;
}

/** A right-aligned, tabular-figures cell. */
export function numCell(content: HtmlValue, extra: Record<string, string | undefined> = {}): SafeHtml {
  const cls = ['num', extra.class].filter(Boolean).join(' ');
  return html`<td${attrs({ ...extra, class: cls })}>${content}</td>`;
}

/** A short hash with the full one on hover (and selectable for copying). */
export function hashCode(sha: string, short: string): SafeHtml {
  return html`<code class="hash" title="${sha}">${short}</code>`;
}

/** Label–value rows for records read top to bottom (lineage, cost), where a grid would squeeze values. */
export function kv(items: readonly [string, HtmlValue][]): SafeHtml {
  return html`<table class="kv"><tbody>${items.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</tbody></table>`;
}

/** Label–value pairs laid out as a responsive grid (header facts, card overview). */
export function dl(items: readonly [string, HtmlValue][]): SafeHtml {
  return html`<dl class="facts">${items.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}
