/**
 * Feature drift: the population stability index of every column, snapshot against the champion's
 * training reference, with the warn and alert levels as lines. Sorted worst first so the columns
 * that moved are read before the ones that did not.
 */
import { fmtNumber } from '../format';
import type { SafeHtml } from '../html';
import type { DriftSummary } from '../input';
import { barChart } from '../svg/bar-chart';
import { COLORS } from '../svg/palette';

function levelColor(psi: number, drift: DriftSummary): string {
  if (psi >= drift.alert) return COLORS.alert;
  if (psi >= drift.warn) return COLORS.warn;
  return COLORS.ok;
}

export function driftChart(drift: DriftSummary): SafeHtml | null {
  if (drift.columns.length === 0) return null;
  const columns = [...drift.columns].sort((a, b) => (b.psi ?? -Infinity) - (a.psi ?? -Infinity));
  return barChart({
    chart: 'drift',
    title: 'Feature drift (PSI, snapshot vs reference)',
    categories: columns.map((c) => ({ label: c.column, note: c.psi === null ? `no PSI · ${c.verdict}` : c.verdict })),
    series: [
      {
        name: 'psi',
        label: 'PSI',
        color: COLORS.ok,
        values: columns.map((c) =>
          c.psi === null ? null : { value: c.psi, color: levelColor(c.psi, drift), tooltip: `${c.column}: PSI ${fmtNumber(c.psi)} (${c.verdict})` },
        ),
      },
    ],
    references: [
      { value: drift.warn, label: `warn (PSI ${fmtNumber(drift.warn)})`, color: COLORS.warn },
      { value: drift.alert, label: `alert (PSI ${fmtNumber(drift.alert)})`, color: COLORS.alert },
    ],
    // Bars take the colour of the level they reach, so the two dashed levels double as the key.
    legend: [
      { label: 'below warn', color: COLORS.ok, kind: 'bar' },
      { label: `warn ≥ ${fmtNumber(drift.warn)}`, color: COLORS.warn, kind: 'dash' },
      { label: `alert ≥ ${fmtNumber(drift.alert)}`, color: COLORS.alert, kind: 'dash' },
    ],
    x: { title: 'Population stability index' },
  });
}
