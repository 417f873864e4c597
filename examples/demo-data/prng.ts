/**
 * A small seeded pseudo-random generator for the demo data. Math.random cannot be seeded, and the
 * dataset must be byte-for-byte reproducible from its seed, so every draw goes through here.
 *
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 32-bit): passes PractRand, needs only
 * 32-bit integer arithmetic, so it gives the same sequence on every JavaScript engine.
 */

export interface Random {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (mean 0, sd 1). */
  normal(): number;
  /** true with probability p. */
  bernoulli(p: number): boolean;
  /** An integer in [0, n). */
  int(n: number): number;
  /** Poisson-distributed count with mean `lambda` (Knuth's method: the means here are small). */
  poisson(lambda: number): number;
  /** One of `choices`, drawn with probability proportional to its weight. */
  pick<T extends string>(choices: readonly (readonly [T, number])[]): T;
}

export function createRandom(seed: number): Random {
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  // Spread the seed over the four state words with splitmix32, so nearby seeds give unrelated streams.
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();

  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // Warm up: the first outputs of sfc32 still correlate with the seed.
  for (let i = 0; i < 12; i++) nextUint32();

  const uniform = (): number => nextUint32() / 4294967296;
  let spareNormal: number | null = null;

  return {
    uniform,
    normal() {
      if (spareNormal !== null) {
        const value = spareNormal;
        spareNormal = null;
        return value;
      }
      // Box–Muller; 1 - u keeps the logarithm's argument in (0, 1].
      const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
      const angle = 2 * Math.PI * uniform();
      spareNormal = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
    bernoulli(p) {
      return uniform() < p;
    },
    int(n) {
      return Math.floor(uniform() * n);
    },
    poisson(lambda) {
      const limit = Math.exp(-lambda);
      let k = 0;
      let product = uniform();
      while (product > limit) {
        k++;
        product *= uniform();
      }
      return k;
    },
    pick(choices) {
      let total = 0;
      for (const [, weight] of choices) total += weight;
      let target = uniform() * total;
      for (const [value, weight] of choices) {
        target -= weight;
        if (target < 0) return value;
      }
      return choices[choices.length - 1][0];
    },
  };
}
