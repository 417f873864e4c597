/**
 * Special functions and null distributions behind the drift tests, written to reproduce SciPy 1.15:
 *
 * - `chi2Sf(x, df)`            = scipy.stats.chi2.sf            (regularised upper incomplete gamma)
 * - `kstwoSf(d, n)`            = scipy.stats.kstwo.sf           (one-sample two-sided KS statistic, finite n)
 * - `smirnovSf(n, x)`          = scipy.special.smirnov          (one-sided KS statistic, finite n)
 * - `ksTwoSampleExact(...)`    = scipy.stats._stats_py._attempt_exact_2kssamp, two-sided
 * - `ksTwoSamplePvalue(...)`   = the p-value half of scipy.stats.ks_2samp(method='auto', two-sided),
 *                                except that a costly exact computation is skipped when the
 *                                asymptotic p-value is below 1e-30 (see KS_EXACT_CELL_BUDGET)
 *
 * The KS code follows SciPy's branch structure on purpose (Simard & L'Ecuyer's choice between
 * Ruben–Gambino, Durbin matrix, Pomeranz, Pelz–Good and Smirnov) so that a p-value lands on the same
 * side of a threshold as it does in SciPy: a faithful port, not a fresh approximation. Pure
 * functions, no I/O. Domain errors in arguments are programming errors and throw RangeError; data
 * problems (empty samples, constant columns) are handled a level up, in drift-stats.ts.
 */

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const SQRT3 = Math.sqrt(3);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const EPSILON = Number.EPSILON; // 2^-52, numpy.finfo(float).eps
const MACHEP = EPSILON / 2; // cephes MACHEP, 2^-53
/** cephes MINLOG: log(2^-1022); exp() of anything lower is not a normal double. */
const MINLOG = -7.08396418532264106224e2;
const TWO_128 = 2 ** 128;
const TWO_M128 = 2 ** -128;

function clip01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

/** x · 2^e without overflowing the intermediate power of two (Math.pow(2, 1100) is Infinity). */
function ldexp(x: number, e: number): number {
  let r = x;
  let k = e;
  while (k > 1000) {
    r *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    r *= 2 ** -1000;
    k += 1000;
  }
  return r * 2 ** k;
}

/** numpy.round: round half to even (Math.round rounds half up). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

// ---------------------------------------------------------------------------------------------
// Gamma family
// ---------------------------------------------------------------------------------------------

// Stirling-series coefficients B_2k / (2k (2k-1)), k = 1..7.
const STIRLING_LGAMMA = [
  1 / 12,
  -1 / 360,
  1 / 1260,
  -1 / 1680,
  1 / 1188,
  -691 / 360360,
  1 / 156,
];

/**
 * log Γ(x) for x > 0. Shifts x up to ≥ 15 with Γ(x) = Γ(x+k) / (x (x+1) ... (x+k-1)) and then uses
 * the Stirling series, whose truncation error there is below 1e-17: about 1 ulp relative error.
 */
export function lgamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lgamma: x must be > 0, got ${x}`);
  if (x === Infinity) return Infinity;
  if (x === 1 || x === 2) return 0; // exact zeros the shifted series would only reach to ~4e-15
  let shift = 0;
  let product = 1;
  let z = x;
  while (z < 15) {
    product *= z;
    z += 1;
    shift += 1;
  }
  const inv = 1 / z;
  const inv2 = inv * inv;
  let series = 0;
  for (let i = STIRLING_LGAMMA.length - 1; i >= 0; i--) series = series * inv2 + STIRLING_LGAMMA[i]!;
  const stirling = (z - 0.5) * Math.log(z) - z + LN_SQRT_2PI + series * inv;
  return shift === 0 ? stirling : stirling - Math.log(product);
}

/** log of the common prefactor x^a e^-x / Γ(a) of the incomplete gamma series and fraction. */
function logGammaPrefactor(a: number, x: number): number {
  return a * Math.log(x) - x - lgamma(a);
}

/** P(a, x) by its power series (DLMF 8.11.4); converges for any x, quickly when x < a + 1. */
function gammaPSeries(a: number, x: number): number {
  const logPrefactor = logGammaPrefactor(a, x);
  if (logPrefactor < MINLOG - 40) return 0;
  let term = 1 / a;
  let sum = term;
  // Terms shrink like x/(a+n); for x ≈ a that takes ~10·sqrt(a) steps, hence the generous cap.
  const maxIterations = 10_000 + 20 * Math.ceil(Math.sqrt(a));
  for (let n = 1; n < maxIterations; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * MACHEP) break;
  }
  return sum * Math.exp(logPrefactor);
}

/** Q(a, x) by Legendre's continued fraction (DLMF 8.9.2), modified Lentz; for x ≥ a + 1. */
function gammaQContinuedFraction(a: number, x: number): number {
  const logPrefactor = logGammaPrefactor(a, x);
  if (logPrefactor < MINLOG - 40) return 0;
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  const maxIterations = 10_000 + 20 * Math.ceil(Math.sqrt(a));
  for (let i = 1; i < maxIterations; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.exp(logPrefactor) * h;
}

/**
 * Regularised upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a) (scipy.special.gammaincc,
 * cephes igamc). Series for x < a + 1 (where Q = 1 − P is not small, so the subtraction is safe),
 * continued fraction otherwise (where Q can be tiny and must be computed directly).
 */
export function gammaincc(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError(`gammaincc: need a > 0 and x >= 0, got a=${a}, x=${x}`);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  if (x < a + 1) return clip01(1 - gammaPSeries(a, x));
  return clip01(gammaQContinuedFraction(a, x));
}

/** Chi-square survival function with `df` degrees of freedom (scipy.stats.chi2.sf). */
export function chi2Sf(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`chi2Sf: df must be > 0, got ${df}`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  return gammaincc(df / 2, x / 2);
}

// ---------------------------------------------------------------------------------------------
// Smirnov: one-sided one-sample KS statistic D+_n (scipy.special.smirnov, cephes kolmogorov.h)
// ---------------------------------------------------------------------------------------------

/** floor(n·x) and the fractional part of n·x, computed exactly (Dekker's two-product). */
function splitProduct(n: number, x: number): { floor: number; frac: number } {
  const p = n * x;
  // Veltkamp split of both factors gives the exact rounding error of p.
  const SPLIT = 134217729; // 2^27 + 1
  const nc = SPLIT * n;
  const nh = nc - (nc - n);
  const nl = n - nh;
  const xc = SPLIT * x;
  const xh = xc - (xc - x);
  const xl = x - xh;
  const err = nh * xh - p + nh * xl + nl * xh + nl * xl; // n·x = p + err exactly
  let fl = Math.floor(p);
  let frac = p - fl + err;
  if (frac < 0) {
    fl -= 1;
    frac += 1;
  }
  if (frac >= 1) {
    fl += 1;
    frac -= 1;
  }
  return { floor: fl, frac };
}

/**
 * P(D+_n ≥ x) by the Birnbaum–Tingey sum
 *   x · Σ_{v=0}^{floor(n(1−x))} C(n,v) (x + v/n)^(v−1) (1 − x − v/n)^(n−v),
 * all terms positive, so the survival function is accurate even where it is tiny. Each term is formed
 * in log space, with the binomial kept as mantissa·2^exponent (it overflows doubles for n > 1020).
 * Cephes does the same in double-double; plain doubles lose ~1e-10 relative here, well inside the
 * 1e-6 tolerance we promise.
 */
export function smirnovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`smirnovSf: n must be a positive integer, got ${n}`);
  if (!(x >= 0 && x <= 1)) return NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const { floor: nxfl, frac: alpha } = splitProduct(n, x);
  // x <= 1/n: closed form.
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    const cdf = x * Math.exp((n - 1) * Math.log1p(x));
    return clip01(1 - cdf);
  }
  if (-2 * n * x * x < MINLOG) return 0;
  // x >= 1 - 1/n: closed form.
  if (nxfl >= n - 1) return clip01(Math.exp(n * Math.log1p(-x)));
  // Cephes' shortcut for very large n: p ~ exp(-(6nx+1)^2 / 18n).
  if (n > 1_000_000) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    if (logp < -Math.LN2) return clip01(Math.exp(logp));
    const cdf = -Math.expm1(logp); // as cephes: through the cdf when p > 1/2
    return clip01(1 - cdf);
  }
  // v runs over 0 .. floor(n(1-x)) = n - nxfl - 1 (the v = n - nxfl term is zero when alpha = 0).
  const nTerms = n - nxfl;
  const vmid = Math.floor(n / 2);
  let sum = Math.exp(n * Math.log1p(-x)) / x; // v = 0
  let cMantissa = n; // C(n, 1)
  let cExponent = 0;
  for (let v = 1; v < nTerms; v++) {
    // x + v/n and 1 - x - v/n from exact integers, so the large powers below do not amplify rounding.
    const up = (nxfl + v + alpha) / n;
    const down = (n - v - nxfl - alpha) / n;
    const logDown = up < 0.5 ? Math.log1p(-up) : Math.log(down);
    // One exp of the whole log: C(n,v) alone exceeds 2^1000 while the term is 1e-300.
    const logTerm = Math.log(cMantissa) + cExponent * Math.LN2 + (v - 1) * Math.log(up) + (n - v) * logDown;
    const term = Math.exp(logTerm);
    if (Number.isFinite(term) && term !== 0) sum += term;
    if (term !== 0) {
      if (4 * (nTerms - v) * Math.abs(term) < EPSILON * sum && v !== nTerms - 1) break;
    } else if (v > vmid) {
      break;
    }
    // C(n, v+1) = C(n, v)·(n−v)/(v+1), renormalised both ways: it rises to ~2^n and falls back.
    cMantissa *= (n - v) / (v + 1);
    if (cMantissa > 2 ** 512) {
      cMantissa *= 2 ** -512;
      cExponent += 512;
    } else if (cMantissa < 2 ** -512) {
      cMantissa *= 2 ** 512;
      cExponent -= 512;
    }
  }
  return clip01(x * sum);
}

// ---------------------------------------------------------------------------------------------
// kstwo: two-sided one-sample KS statistic D_n (scipy.stats._ksstats)
// ---------------------------------------------------------------------------------------------

// Bernoulli-number coefficients of Stirling's series for log(n!/n^n), highest order first.
const STIRLING_COEFFS = [
  -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
  -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
];

function logNFactorialDivNPowN(n: number): number {
  const rn = 1 / n;
  const t = rn / n;
  let poly = 0;
  for (const c of STIRLING_COEFFS) poly = poly * t + c;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly;
}

/** Square matrix product, row-major, size m. */
function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      const bRow = k * m;
      const oRow = i * m;
      for (let j = 0; j < m; j++) out[oRow + j]! += aik * b[bRow + j]!;
    }
  }
  return out;
}

/**
 * P(D_n <= d) by Durbin's matrix algorithm as organised by Marsaglia, Tsang & Wang: the k-th
 * diagonal element of H^n scaled by n!/n^n, with explicit exponent tracking against overflow.
 */
function kolmogDurbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1 - h ** j;
    w[j - 1] = fac;
    fac /= j;
    v[j - 1]! *= fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)]!;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;

  let Hpwr: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) Hpwr[i * m + i] = 1;
  let nn = n;
  let expnt = 0;
  let Hexpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      Hpwr = matmul(Hpwr, H, m);
      expnt += Hexpnt;
    }
    H = matmul(H, H, m);
    Hexpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > TWO_128) {
      for (let i = 0; i < H.length; i++) H[i]! /= TWO_128;
      Hexpnt += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = Hpwr[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < TWO_M128) {
      p *= TWO_128;
      expnt -= 128;
    }
  }
  if (expnt !== 0) p = ldexp(p, expnt);
  return clip01(p);
}

function pomeranzBounds(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** P(D_n <= x) by Pomeranz's recursion (two rows of convolutions with Poisson-like weights). */
function kolmogPomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1;
  twogpower[0] = 1;
  onem2gpower[0] = 1;
  let expnt = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * gOverN) / m;
    twogpower[m] = (twogpower[m - 1]! * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * oneMinusTwoGOverN) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzBounds(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzBounds(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // conv = np.convolve(V0[k1-V0s : k1-V0s+ln2], pwrs[:ln2]); only conv[j1-k1 .. j2-k1] is used.
      const aStart = k1 - V0s;
      const aLen = Math.max(0, Math.min(ln2, npwrs - aStart));
      const bLen = Math.min(ln2, npwrs);
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let vmax = 0; // np.max(V1): the zero tail counts too, and every entry is >= 0
      for (let c = 0; c < convLen; c++) {
        const kk = convStart + c;
        let s = 0;
        const lo = Math.max(0, kk - (bLen - 1));
        const hi = Math.min(aLen - 1, kk);
        for (let a = lo; a <= hi; a++) s += V0[aStart + a]! * pwrs[kk - a]!;
        V1[c] = s;
        if (s > vmax) vmax = s;
      }
      if (vmax > 0 && vmax < TWO_M128) {
        for (let c = 0; c < npwrs; c++) V1[c]! *= TWO_128;
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > TWO_128) {
      ans *= TWO_M128;
      expnt += 128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ldexp(ans, expnt);
  return clip01(ans);
}

/**
 * Pelz–Good asymptotic series for P(D_n <= x): Li-Chien/Korolyuk's expansion in 1/sqrt(n) rewritten
 * with Jacobi theta identities so it converges for small z = x·sqrt(n).
 */
function kolmogPelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const zsquared = z ** 2;
  const zthree = z ** 3;
  const zfour = z ** 4;
  const zsix = z ** 6;
  const qlog = -PI2 / 8 / zsquared;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);

  const k1a = -zsquared;
  const k1b = PI2 / 4;
  const k2a = 6 * zsix + 2 * zfour;
  const k2b = ((2 * zfour - 5 * zsquared) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * zsquared)) / 16;
  const k3d = (PI6 * (5 - 30 * zsquared)) / 64;
  const k3c = (PI4 * (-60 * zsquared + 212 * zfour)) / 16;
  const k3b = (PI2 * (135 * zfour - 96 * zsix)) / 4;
  const k3a = -30 * zsix - 90 * z ** 8;

  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const msquared = m ** 2;
    const mfour = m ** 4;
    const msix = m ** 6;
    const qpower = q ** (8 * k);
    const coeffs = [
      1,
      k1a + k1b * msquared,
      k2a + k2b * msquared + k2c * mfour,
      k3a + k3b * msquared + k3c * mfour + k3d * msix,
    ];
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qpower + coeffs[i]!;
  }
  const divisors = [z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT_2PI) / divisors[i]!;

  q = Math.exp(-PI2 / 2 / zsquared);
  const sqrt3z = SQRT3 * z;
  let k2sum = 0;
  let k3sum = 0;
  for (let k = maxk; k > 0; k--) {
    const ksquared = k ** 2;
    const kspi = Math.PI * k;
    const qpwr = q ** ksquared;
    k2sum += ksquared * qpwr;
    k3sum += (sqrt3z + kspi) * (sqrt3z - kspi) * ksquared * qpwr;
  }
  K[2]! += (k2sum * PI2 * SQRT_2PI) / (-36 * zthree);
  K[3]! += (k3sum * PI2 * SQRT_2PI) / (216 * zsix);
  let total = 0;
  for (let i = 0; i < 4; i++) total += K[i]! / Math.pow(n, i / 2);
  return total;
}

/**
 * P(D_n >= x) for 0 < x < 1 (scipy.stats._ksstats._kolmogn with cdf=False): Simard & L'Ecuyer's
 * choice of method by n and n·x².
 */
function kolmognSf(n: number, x: number): number {
  const t = n * x;
  if (t <= 1) {
    // Ruben–Gambino: exact for 1/(2n) <= x <= 1/n.
    if (t <= 0.5) return 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - prob);
  }
  if (t >= n - 1) return clip01(2 * (1 - x) ** n); // Ruben–Gambino, upper end
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x)); // D+ >= x and D- >= x are disjoint here
  const nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) return clip01(1 - kolmogDurbinCdf(n, x));
    if (nxsquared <= 4) return clip01(1 - kolmogPomeranzCdf(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nxsquared >= 370) return 0;
  if (nxsquared >= 2.2) return clip01(2 * smirnovSf(n, x));
  const cdf = n <= 100000 && n * x ** 1.5 <= 1.4 ? kolmogDurbinCdf(n, x) : kolmogPelzGoodCdf(n, x);
  return clip01(1 - cdf);
}

/** Survival function of the two-sided one-sample KS statistic D_n (scipy.stats.kstwo.sf(d, n)). */
export function kstwoSf(d: number, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`kstwoSf: n must be a positive integer, got ${n}`);
  if (Number.isNaN(d)) return NaN;
  // Support of kstwo is [1/(2n), 1]: rv_continuous returns 1 at or below it and 0 at or above 1.
  if (d <= 0.5 / n) return 1;
  if (d >= 1) return 0;
  return kolmognSf(n, d);
}

// ---------------------------------------------------------------------------------------------
// Two-sample KS p-value (scipy.stats.ks_2samp, alternative='two-sided', method='auto')
// ---------------------------------------------------------------------------------------------

/** Pr(D_{n,n} >= h/n) for equal sample sizes, Horner-like to avoid subtractive cancellation. */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k -= 1;
  }
  return 2 * P;
}

/**
 * Proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m − y/n| < h/lcm(m,n),
 * computed directly as 1 − (inside proportion) with Viehmann's stable recursion, one sliding
 * column at a time (port of scipy.stats._stats_pythran._compute_outer_prob_inside_method).
 */
function probOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}

/** scipy's rule: 'auto' is exact when both samples have at most this many values. */
export const KS_MAX_EXACT_N = 10000;

/**
 * The exact band recursion for n1 != n2 visits about 2·d·n1·n2 lattice cells: up to 1e8, half a
 * second, for a heavily drifted column of 10,000 rows. Above this many cells, and only when the
 * asymptotic p-value is already below KS_NEGLIGIBLE_P, we skip it: both p-values are then far
 * below any alpha and differ by less than 1e-6 (SciPy would spend the half second).
 */
const KS_EXACT_CELL_BUDGET = 2e7;
export const KS_NEGLIGIBLE_P = 1e-30;

export interface KsPvalue {
  /** The statistic as SciPy reports it: the exact branch snaps d to h / lcm(n1, n2). */
  statistic: number;
  pvalue: number;
  method: 'exact' | 'asymptotic';
  /** Why a sample size SciPy would treat exactly got the asymptotic distribution. */
  note?: string;
}

/**
 * Exact two-sided p-value of the two-sample KS statistic d; pvalue is null when the computation is
 * not numerically trustworthy (SciPy then falls back to the asymptotic distribution, and so do we).
 */
export function ksTwoSampleExact(n1: number, n2: number, d: number): { statistic: number; pvalue: number | null } {
  // Every attainable d is a multiple of 1/lcm(n1, n2); SciPy snaps d to it and reports the snapped value.
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const statistic = h / lcm;
  if (h === 0) return { statistic, pvalue: 1 };
  const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
  return { statistic, pvalue: p >= 0 && p <= 1 ? p : null };
}

/** kstwo.sf(d, round(n1·n2 / (n1 + n2))): ks_2samp's asymptotic two-sided p-value. */
function ksAsymptotic(n1: number, n2: number, d: number): number {
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  return clip01(kstwoSf(d, roundHalfEven((m * n) / (m + n))));
}

/**
 * Two-sided p-value for the two-sample KS statistic d between samples of sizes n1 and n2,
 * following ks_2samp's method='auto': exact when max(n1, n2) <= 10000, otherwise
 * kstwo.sf(d, round(n1·n2 / (n1 + n2))).
 */
export function ksTwoSamplePvalue(n1: number, n2: number, d: number): KsPvalue {
  if (!Number.isInteger(n1) || !Number.isInteger(n2) || n1 < 1 || n2 < 1) {
    throw new RangeError(`ksTwoSamplePvalue: sample sizes must be positive integers, got ${n1} and ${n2}`);
  }
  if (Math.max(n1, n2) > KS_MAX_EXACT_N) return { statistic: d, pvalue: ksAsymptotic(n1, n2, d), method: 'asymptotic' };

  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const snapped = roundHalfEven(d * lcm) / lcm;
  if (n1 !== n2 && 2 * snapped * n1 * n2 > KS_EXACT_CELL_BUDGET) {
    const p = ksAsymptotic(n1, n2, snapped);
    if (p < KS_NEGLIGIBLE_P) {
      return { statistic: snapped, pvalue: p, method: 'asymptotic', note: `asymptotic KS p-value ${p.toPrecision(3)} < ${KS_NEGLIGIBLE_P}: the costly exact computation was skipped` };
    }
  }
  const exact = ksTwoSampleExact(n1, n2, d);
  if (exact.pvalue !== null) return { statistic: exact.statistic, pvalue: exact.pvalue, method: 'exact' };
  // SciPy keeps the snapped statistic when it falls back.
  return {
    statistic: exact.statistic,
    pvalue: ksAsymptotic(n1, n2, exact.statistic),
    method: 'asymptotic',
    note: 'exact KS p-value was numerically unreliable; used the asymptotic distribution, as SciPy does',
  };
}
