/**
 * Multiple-testing correction for p-values computed across many columns at once.
 *
 * With 50 features tested at alpha = 0.05, two or three columns "drift" by chance alone. The
 * Benjamini–Hochberg step-up procedure instead bounds the expected share of false alarms among the
 * columns flagged (the false discovery rate) at alpha.
 */

/**
 * Benjamini–Hochberg adjusted p-values, in the input order, as
 * scipy.stats.false_discovery_control(ps, method='bh'): sort ascending, scale the i-th smallest
 * by m / i, take the running minimum from the largest down, clip to [0, 1]. A column is flagged
 * at false discovery rate alpha when its adjusted p-value is below alpha.
 */
export function benjaminiHochberg(pvalues: readonly number[]): number[] {
  for (const [i, p] of pvalues.entries()) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`benjaminiHochberg: p-value #${i} is ${p}; every p-value must be in [0, 1]`);
  }
  const m = pvalues.length;
  if (m <= 1) return [...pvalues];
  // Ties may come out in any order: tied p-values end up with the same adjusted value either way.
  const order = pvalues.map((_, i) => i).sort((a, b) => pvalues[a]! - pvalues[b]!);
  const adjusted = new Array<number>(m);
  let running = Infinity;
  for (let rank = m; rank >= 1; rank--) {
    const i = order[rank - 1]!;
    running = Math.min(running, pvalues[i]! * (m / rank));
    adjusted[i] = Math.min(1, Math.max(0, running));
  }
  return adjusted;
}
