/**
 * The radix sort behind numeric drift must order exactly like Float64Array#sort (and numpy.sort)
 * on finite doubles, including signed zeros, subnormals and extremes, and drop NaN and ±Infinity.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sortFinite } from '../../validation/sort-float64';

/** Deterministic xorshift so a failure reproduces; test data only, no fixture needed. */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function assertSortedLikeBuiltin(input: Float64Array, what: string): void {
  const before = input.slice();
  const { sorted: got, missing } = sortFinite(input);
  const want = input.filter((v) => Number.isFinite(v)).sort();
  assert.equal(missing, input.length - want.length, `${what}: missing count`);
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}: position ${i} holds ${got[i]}, expected ${want[i]}`);
  }
  assert.deepEqual(input, before, `${what}: input must not be modified`);
}

describe('sortFinite', () => {
  const special = [0, -0, 5e-324, -5e-324, 2.2250738585072014e-308, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1, 0.1, -0.1, NaN, Infinity, -Infinity];

  it('orders awkward values like the built-in sort, on both the small and the radix path', () => {
    const rand = generator(7);
    for (const n of [0, 1, 2, 100, 4095, 4096, 50_000]) {
      const x = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const r = rand();
        x[i] = r < 0.1 ? special[Math.floor(rand() * special.length)]! : (rand() - 0.5) * Math.exp(40 * (rand() - 0.5));
      }
      assertSortedLikeBuiltin(x, `n=${n}`);
    }
  });

  it('handles heavy ties and a constant array (every radix pass skipped)', () => {
    const rand = generator(11);
    const ties = Float64Array.from({ length: 30_000 }, () => Math.round(rand() * 6) - 3);
    assertSortedLikeBuiltin(ties, 'ties');
    assertSortedLikeBuiltin(new Float64Array(10_000).fill(2.5), 'constant');
    assertSortedLikeBuiltin(Float64Array.from({ length: 10_000 }, (_, i) => 10_000 - i), 'descending');
    assertSortedLikeBuiltin(Float64Array.from({ length: 10_000 }, (_, i) => -i - 1), 'all negative');
    assertSortedLikeBuiltin(new Float64Array(10_000).fill(NaN), 'all missing');
  });

  it('orders values that share their high 32 bits (short and long runs, both signs)', () => {
    const rand = generator(5);
    // 1 + u·1e-9 share a handful of high words: long runs. Timestamps a month apart: runs of ~10.
    const narrow = Float64Array.from({ length: 20_000 }, () => (rand() < 0.5 ? -1 : 1) * (1 + rand() * 1e-9));
    assertSortedLikeBuiltin(narrow, 'narrow');
    const stamps = Float64Array.from({ length: 20_000 }, () => 1.7e12 + Math.floor(rand() * 2.6e9) * (rand() < 0.3 ? -1 : 1));
    assertSortedLikeBuiltin(stamps, 'timestamps');
    const pairs = Float64Array.from({ length: 20_000 }, (_, i) => (i % 2 ? -1 : 1) * (2 + Math.floor(i / 4) * 2 ** -40));
    assertSortedLikeBuiltin(pairs, 'runs of two to four');
  });

  it('accepts plain arrays', () => {
    assert.deepEqual(sortFinite([3, NaN, -1, 2]), { sorted: Float64Array.from([-1, 2, 3]), missing: 1 });
  });
});
