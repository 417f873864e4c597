/**
 * Stable argsort of non-negative doubles in descending order, by LSD radix sort on the IEEE-754
 * bit pattern (for x >= 0 the unsigned 64-bit pattern orders exactly like the value). A
 * comparator sort of a million indices costs most of a second in V8; this costs tens of
 * milliseconds, and it runs once per model per slice.
 *
 * Stability matters beyond speed: rows with equal scores keep their input order, so data already
 * laid out in descending score order sorts to the identity permutation (report.ts relies on this
 * to make bootstrap scans read memory sequentially).
 */

/** Digit passes over the complemented key: [which half, shift, width]. 11-bit digits keep the bucket table in L1. */
const PASSES: readonly (readonly [hiHalf: boolean, shift: number, bits: number])[] = [
  [false, 0, 11],
  [false, 11, 11],
  [false, 22, 10],
  [true, 0, 11],
  [true, 11, 11],
  [true, 22, 10],
];

/**
 * Indices from `subset` (default 0..n-1) ordered by descending `values[index]`, ties in subset
 * order. Every value read must be a non-negative number (no NaN); -0 counts as 0.
 */
export function argsortDescending(values: Float64Array, subset?: Uint32Array): Uint32Array {
  const m = subset ? subset.length : values.length;
  // Keys are bit-complemented so that an ascending stable sort yields descending values.
  const keyBits = new Float64Array(m);
  const words = new Uint32Array(keyBits.buffer); // little-endian: [lo, hi] per key
  let index = new Uint32Array(m);
  for (let i = 0; i < m; i++) {
    const r = subset ? subset[i]! : i;
    keyBits[i] = values[r]! + 0; // + 0 turns -0 into +0
    index[i] = r;
  }
  const lo = new Uint32Array(m);
  const hi = new Uint32Array(m);
  for (let i = 0; i < m; i++) {
    lo[i] = ~words[2 * i]! >>> 0;
    hi[i] = ~words[2 * i + 1]! >>> 0;
  }
  let loKeys = lo;
  let hiKeys = hi;
  let spareIndex = new Uint32Array(m);
  let spareLo = new Uint32Array(m);
  let spareHi = new Uint32Array(m);
  const counts = new Uint32Array(1 << 11);
  for (const [useHi, shift, bits] of PASSES) {
    const keys = useHi ? hiKeys : loKeys;
    const mask = (1 << bits) - 1;
    counts.fill(0);
    for (let i = 0; i < m; i++) counts[(keys[i]! >>> shift) & mask]!++;
    // A digit shared by every key would be a pass that moves nothing.
    if (m === 0 || counts[(keys[0]! >>> shift) & mask] === m) continue;
    let total = 0;
    for (let b = 0; b <= mask; b++) {
      const c = counts[b]!;
      counts[b] = total;
      total += c;
    }
    for (let i = 0; i < m; i++) {
      const dest = counts[(keys[i]! >>> shift) & mask]!++;
      spareIndex[dest] = index[i]!;
      spareLo[dest] = loKeys[i]!;
      spareHi[dest] = hiKeys[i]!;
    }
    [index, spareIndex] = [spareIndex, index];
    [loKeys, spareLo] = [spareLo, loKeys];
    [hiKeys, spareHi] = [spareHi, hiKeys];
  }
  return index;
}
