/**
 * Permutation importance of candidate and champion side by side: how much quality each model
 * loses when a feature is shuffled (whiskers: ± one standard deviation over the repeats). A
 * feature the candidate suddenly leans on is worth a question before approving.
 */
import { fmtNumber } from '../format';
import type { SafeHtml } from '../html';
import type { ImportanceSummary, RunReportInput } from '../input';
import { barChart, type Bar, type BarSeries } from '../svg/bar-chart';
import { COLORS } from '../svg/palette';
import type { ContenderNames } from './labels';

/** Enough to show what the models rely on; the long tail of near-zero features says little. */
export const MAX_FEATURES = 20;

function bars(features: readonly string[], list: readonly ImportanceSummary[], who: string): (Bar | null)[] {
  const byName = new Map(list.map((f) => [f.feature, f]));
  return features.map((name) => {
    const f = byName.get(name);
    if (!f || !Number.isFinite(f.mean)) return null;
    const std = Number.isFinite(f.std) ? f.std : 0;
    return { value: f.mean, error: [f.mean - std, f.mean + std], tooltip: `${who}: ${name} ${fmtNumber(f.mean)} ± ${fmtNumber(std)}` };
  });
}

export function importanceChart(importance: NonNullable<RunReportInput['importance']>, names: ContenderNames): SafeHtml | null {
  const ranked = [...importance.candidate].sort((a, b) => b.mean - a.mean).map((f) => f.feature);
  // Features only the champion used still belong on the chart: losing one is a change too.
  const championOnly = (importance.champion ?? []).filter((f) => !ranked.includes(f.feature)).sort((a, b) => b.mean - a.mean).map((f) => f.feature);
  const all = [...ranked, ...championOnly];
  if (all.length === 0) return null;
  const features = all.slice(0, MAX_FEATURES);
  const series: BarSeries[] = [{ name: 'candidate', label: names.candidate, color: COLORS.candidate, values: bars(features, importance.candidate, names.candidate) }];
  if (importance.champion && importance.champion.length > 0) {
    const label = names.champion ?? 'champion';
    series.push({ name: 'champion', label, color: COLORS.champion, values: bars(features, importance.champion, label) });
  }
  return barChart({
    chart: 'importance',
    title: 'Permutation importance (drop in quality when shuffled)',
    categories: features.map((f) => ({ label: f })),
    series,
    x: { title: 'Mean drop (whisker: ± 1 sd)' },
    footnote: all.length > features.length ? `Top ${features.length} of ${all.length} features by candidate importance.` : undefined,
  });
}
