/**
 * Permutation importance (as scikit-learn's permutation_importance): how much the chosen metric
 * gets worse when one feature's column is shuffled, breaking its link with the label while keeping
 * its distribution. And the shift of importances between candidate and champion: a new model that
 * suddenly leans on a different feature deserves a human look even when its metrics are fine.
 */

import { computeMetrics, DEFAULT_THRESHOLD, improvement } from './metrics';
import { Rng } from './rng';
import { ValidationInputError } from './scored';
import type { Column, ColumnTable } from '../core/types';
import type { FeatureImportance, ImportanceResult, ImportanceShift, MetricName } from './types';

export interface PermutationOptions {
  metric: MetricName;
  repeats: number;
  seed: number;
  threshold?: number;
}

/**
 * For each feature, `repeats` seeded shuffles of its column; drop = quality lost (reference −
 * shuffled for higher-is-better metrics, shuffled − reference for lower-is-better), so a positive
 * mean means the model relies on the feature. Features are processed in the order given, each
 * shuffle drawn from one generator, so the result is a function of the seed.
 */
export async function permutationImportance(
  score: (table: ColumnTable) => Promise<Float64Array>,
  table: ColumnTable,
  labels: Float64Array,
  features: string[],
  options: PermutationOptions,
): Promise<ImportanceResult> {
  const { metric, repeats, seed } = options;
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new ValidationInputError(`repeats must be a positive integer, got ${repeats}: 5 is a common choice`);
  }
  if (labels.length !== table.rowCount) {
    throw new ValidationInputError(`labels has ${labels.length} rows but the table has ${table.rowCount}: pass row-aligned data`);
  }
  for (const f of features) {
    if (!(f in table.columns)) {
      throw new ValidationInputError(`feature ${f} is not a column of the table (columns: ${Object.keys(table.columns).join(', ')})`);
    }
  }
  const metricOf = async (t: ColumnTable, what: string): Promise<number> => {
    const m = computeMetrics(labels, await score(t), { threshold });
    const v = m[metric];
    if (v === null) throw new ValidationInputError(`${metric} is undefined on ${what} (${m.reasons[metric]}): cannot measure importance with it`);
    return v;
  };
  const reference = await metricOf(table, 'the unshuffled table');
  const rng = new Rng(seed);
  const permutation = new Uint32Array(table.rowCount);
  const result: FeatureImportance[] = [];
  for (const feature of features) {
    const drops: number[] = [];
    for (let r = 0; r < repeats; r++) {
      for (let i = 0; i < permutation.length; i++) permutation[i] = i;
      rng.shuffle(permutation);
      const shuffled: ColumnTable = {
        rowCount: table.rowCount,
        columns: { ...table.columns, [feature]: permute(table.columns[feature]!, permutation) },
      };
      drops.push(improvement(metric, await metricOf(shuffled, `the table with ${feature} shuffled`), reference));
    }
    const mean = drops.reduce((a, b) => a + b, 0) / drops.length;
    const variance = drops.reduce((a, d) => a + (d - mean) * (d - mean), 0) / drops.length;
    result.push({ feature, mean, std: Math.sqrt(variance), drops });
  }
  return { metric, reference, repeats, seed, features: result };
}

function permute(column: Column, permutation: Uint32Array): Column {
  if (column instanceof Float64Array) {
    const out = new Float64Array(column.length);
    for (let i = 0; i < out.length; i++) out[i] = column[permutation[i]!]!;
    return out;
  }
  return Array.from(permutation, (j) => column[j] ?? null);
}

/** Average ranks (1-based; ties share the mean of their positions), as scipy.stats.rankdata. */
export function averageRanks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]![0] === order[start]![0]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k]![1]] = rank;
    start = end + 1;
  }
  return ranks;
}

/** Spearman's rho (Pearson correlation of average ranks, as scipy.stats.spearmanr); null when a side is constant. */
export function spearman(a: number[], b: number[]): number | null {
  if (a.length !== b.length) throw new ValidationInputError(`spearman needs equal lengths, got ${a.length} and ${b.length}`);
  if (a.length < 2) return null;
  const ra = averageRanks(a);
  const rb = averageRanks(b);
  const mean = (ra.length + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < ra.length; i++) {
    const da = ra[i]! - mean;
    const db = rb[i]! - mean;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return null;
  return sab / Math.sqrt(saa * sbb);
}

/** The K most important features, ties broken by name so the list is stable. */
function topK(importances: FeatureImportance[], k: number): string[] {
  return [...importances]
    .sort((x, y) => y.mean - x.mean || (x.feature < y.feature ? -1 : x.feature > y.feature ? 1 : 0))
    .slice(0, k)
    .map((f) => f.feature);
}

/**
 * How differently the candidate uses its features than the champion: Spearman correlation of the
 * mean importances over the features both have, and the candidate's top-K features that are not in
 * the champion's top K (a feature the champion never had counts as new).
 */
export function importanceShift(
  candidate: FeatureImportance[],
  champion: FeatureImportance[],
  k: number,
): ImportanceShift {
  if (!Number.isInteger(k) || k < 1) throw new ValidationInputError(`top_k must be a positive integer, got ${k}`);
  const championTop = new Set(topK(champion, k));
  const newInTop = topK(candidate, k).filter((f) => !championTop.has(f));
  const championByName = new Map(champion.map((f) => [f.feature, f.mean]));
  const common = candidate.filter((f) => championByName.has(f.feature));
  if (common.length < 2) {
    return { rank_correlation: null, top_k: k, new_in_top_k: newInTop, reason: `only ${common.length} feature(s) in common` };
  }
  const rho = spearman(
    common.map((f) => f.mean),
    common.map((f) => championByName.get(f.feature)!),
  );
  return rho === null
    ? { rank_correlation: null, top_k: k, new_in_top_k: newInTop, reason: 'importances are all equal for one model: no ranking to compare' }
    : { rank_correlation: rho, top_k: k, new_in_top_k: newInTop };
}
