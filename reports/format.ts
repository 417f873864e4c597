/**
 * Number, size, duration and date formatting for the report. Pure and locale-independent: the
 * same input renders the same bytes on every machine, so a report can be diffed and hashed.
 * Every formatter takes `null` (an undefined quantity) and returns the em dash.
 */

export const MISSING = '—';
/** U+2212: a real minus sign lines up with "+" in tabular figures; "-" is narrower. */
const MINUS = '−';

function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Thousands separators on an integer part ("12345" → "12,345"). */
function group(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Fixed decimals with thousands separators and a true minus sign. */
export function fmtFixed(v: number | null | undefined, digits = 3): string {
  if (!finite(v)) return MISSING;
  const s = Math.abs(v).toFixed(digits);
  const [int, frac] = s.split('.') as [string, string | undefined];
  const body = frac === undefined ? group(int) : `${group(int)}.${frac}`;
  // -0.0001 at 3 digits is "0.000", not "−0.000"
  return v < 0 && Number(s) !== 0 ? MINUS + body : body;
}

/** A metric value: three decimals (differences at the third decimal are what gates judge). */
export function fmtMetric(v: number | null | undefined): string {
  return fmtFixed(v, 3);
}

/** A difference with an explicit sign, so "+0.012" and "−0.004" read at a glance. */
export function fmtSigned(v: number | null | undefined, digits = 3): string {
  if (!finite(v)) return MISSING;
  const s = fmtFixed(v, digits);
  return s.startsWith(MINUS) || Number(v.toFixed(digits)) === 0 ? s : `+${s}`;
}

export function fmtInterval(ci: readonly [number, number] | null | undefined, digits = 3): string {
  if (!ci) return MISSING;
  return `[${fmtFixed(ci[0], digits)}, ${fmtFixed(ci[1], digits)}]`;
}

export function fmtSignedInterval(ci: readonly [number, number] | null | undefined, digits = 3): string {
  if (!ci) return MISSING;
  return `[${fmtSigned(ci[0], digits)}, ${fmtSigned(ci[1], digits)}]`;
}

export function fmtInt(v: number | null | undefined): string {
  if (!finite(v)) return MISSING;
  return fmtFixed(Math.round(v), 0);
}

/** A gate's value or threshold: whatever its scale (AUC, bytes, a ratio), four significant digits. */
export function fmtNumber(v: number | null | undefined): string {
  if (!finite(v)) return MISSING;
  if (Number.isInteger(v)) return fmtInt(v);
  const magnitude = Math.floor(Math.log10(Math.abs(v)));
  const digits = Math.min(6, Math.max(0, 3 - magnitude));
  return fmtFixed(Number(v.toFixed(digits)), digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

export function fmtPercent(v: number | null | undefined, digits = 1): string {
  if (!finite(v)) return MISSING;
  return `${fmtFixed(v * 100, digits)}%`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function fmtBytes(v: number | null | undefined): string {
  if (!finite(v)) return MISSING;
  let n = v;
  let unit = 0;
  while (Math.abs(n) >= 1024 && unit < BYTE_UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  return unit === 0 ? `${fmtInt(n)} B` : `${fmtFixed(n, n < 10 ? 2 : 1)} ${BYTE_UNITS[unit]}`;
}

export function fmtDuration(ms: number | null | undefined): string {
  if (!finite(ms)) return MISSING;
  if (ms < 1000) return `${fmtInt(ms)} ms`;
  if (ms < 60_000) return `${fmtFixed(ms / 1000, ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  if (minutes < 60) return `${minutes} min ${seconds} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * "2024-05-01T12:30:00.000Z" → "2024-05-01 12:30 UTC". Always UTC: an approver in another time
 * zone must see the same window as the scheduler. An unparseable string is shown as given.
 */
export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return MISSING;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = new Date(t).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)} UTC`;
}

export function fmtDateRange(range: { from: string; to: string } | null | undefined): string {
  if (!range) return MISSING;
  return `${fmtDateTime(range.from)} → ${fmtDateTime(range.to)}`;
}

/** The first 12 hex characters: enough to tell artifacts apart at a glance (git uses 7–12). */
export function shortHash(sha: string): string {
  return sha.length > 12 ? sha.slice(0, 12) : sha;
}

/** "awaiting_approval" → "Awaiting approval". */
export function humanize(token: string): string {
  const s = token.replace(/[_-]+/g, ' ').trim();
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/** Parameters and other free-form values: strings as they are, everything else as JSON. */
export function fmtValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v); // as configured: 1e-7 stays 1e-7
  if (v === undefined) return MISSING;
  return JSON.stringify(v) ?? String(v);
}
