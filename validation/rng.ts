/**
 * Seeded pseudo-random numbers: xoshiro128** 1.1 (Blackman & Vigna), seeded through SplitMix32.
 * Every random choice in validation/ (bootstrap resamples, permutation shuffles) draws from here,
 * so a report is reproducible from its seed on any machine and any Node version; Math.random is
 * never used.
 */

const TWO_POW_32 = 4294967296;

function splitMix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return [next, (z ^ (z >>> 15)) >>> 0];
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** @param seed a non-negative safe integer; its high and low 32 bits both feed the state. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`seed must be a non-negative safe integer, got ${seed}: pass e.g. { seed: 42 }`);
    }
    let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32), 0x85ebca6b);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitMix32(state);
      state = next;
      words.push(out);
    }
    [this.s0, this.s1, this.s2, this.s3] = words as [number, number, number, number];
    // SplitMix32 never yields four zero words in a row from consecutive states, but the all-zero
    // state is xoshiro's one fixed point, so guard it explicitly.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator in a given raw state, e.g. to check the reference output sequence of xoshiro128**. */
  static fromState(state: readonly [number, number, number, number]): Rng {
    if (state.every((w) => w >>> 0 === 0)) throw new RangeError('the all-zero state is not allowed for xoshiro128**');
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = state.map((w) => w | 0) as [number, number, number, number];
    return rng;
  }

  /** Uniform integer in [0, 2^32). */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Uniform integer in [0, n), exactly unbiased: draw under the smallest covering bit mask and
   * reject overshoots (fewer than two draws on average). A plain floor(u * n) would favour some
   * rows by up to n / 2^32, which at a million rows is visible in a bootstrap tail.
   */
  below(n: number): number {
    checkRange(n);
    const mask = maskFor(n);
    for (;;) {
      const x = (this.nextU32() & mask) >>> 0;
      if (x < n) return x;
    }
  }

  /**
   * Makes `draws` independent uniform draws in [0, n), the same values as `draws` calls of
   * below(n), and adds one to counts[x] for each: the histogram of a bootstrap resample. Returns
   * the largest count reached (before any wrap-around of a narrow counter), so the caller can
   * detect overflow. The generator is inlined with its state in locals because this loop draws
   * every bootstrap resample (a billion draws for 1,000 replicates of 1,000,000 rows).
   */
  countBelow(n: number, draws: number, counts: Uint8Array | Uint32Array): number {
    checkRange(n);
    if (counts.length < n) throw new RangeError(`counts has ${counts.length} cells but n is ${n}`);
    const mask = maskFor(n);
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    let most = 0;
    for (let j = 0; j < draws; ) {
      const x = (Math.imul(rotl(Math.imul(s1, 5), 7), 9) & mask) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      if (x < n) {
        const c = counts[x]! + 1;
        counts[x] = c;
        if (c > most) most = c;
        j++;
      }
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return most;
  }

  /** Standard normal deviate (Box–Muller; one of the pair is discarded to keep the stream simple). */
  nextNormal(): number {
    let u = 0;
    while (u === 0) u = this.nextFloat();
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle of `indices` in place. */
  shuffle(indices: Uint32Array): Uint32Array {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const tmp = indices[i]!;
      indices[i] = indices[j]!;
      indices[j] = tmp;
    }
    return indices;
  }
}

function checkRange(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
    throw new RangeError(`n must be an integer in [1, 2^32], got ${n}`);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Smallest all-ones mask (2^k − 1) that is >= n − 1, as an unsigned 32-bit value. */
export function maskFor(n: number): number {
  if (n <= 1) return 0;
  return (0xffffffff >>> Math.clz32(n - 1)) >>> 0;
}
