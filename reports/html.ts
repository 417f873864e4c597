/**
 * Escaping by construction. Every piece of markup in the report is built with the `html` tag:
 * interpolated strings are escaped unless they are already SafeHtml, so a model name, a slice
 * value or a gate reason can never become markup, however a renderer forgets to think about it.
 * The same tag builds the inline SVG (which the HTML parser reads with the same escaping rules).
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for both element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Marks trusted markup (CSS, pre-built fragments) as safe. Never pass user input here. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined || value === false || value === true) return '';
  if (typeof value === 'number') {
    // A NaN or Infinity reaching markup is a renderer bug (JSON reports cannot hold them), and a
    // "NaN" coordinate silently breaks a chart: fail loudly instead.
    if (!Number.isFinite(value)) throw new RangeError(`non-finite number in markup: ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value as string);
}

/** Tagged template: `html\`<td>${name}</td>\`` escapes `name` unless it is SafeHtml. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Joins fragments with a separator (escaped like any other value). */
export function join(parts: readonly HtmlValue[], separator: HtmlValue = ''): SafeHtml {
  return new SafeHtml(parts.map(render).join(render(separator)));
}

/** ` name="value"` for each defined attribute, escaped; undefined/null/false attributes are omitted. */
export function attrs(map: Record<string, string | number | boolean | null | undefined>): SafeHtml {
  let out = '';
  for (const [name, value] of Object.entries(map)) {
    if (value === undefined || value === null || value === false) continue;
    out += value === true ? ` ${name}` : ` ${name}="${render(value)}"`;
  }
  return new SafeHtml(out);
}
