/**
 * The one engine behind every metric: labelled rows sorted once by descending score, then scanned
 * in a single fused pass that accumulates, with per-row weights, everything the ten metrics need.
 *
 * Why weights: a bootstrap resample is the same rows with multiplicities, so a replicate is one
 * scan with weights = resample counts. The sort (the expensive part) happens once per model, not
 * once per replicate, and the point estimate is the same scan with weight 1 everywhere, so the
 * point value and its interval can never disagree about a definition.
 *
 * Why one pass suffices, in descending score order:
 * - tie groups (equal scores) are contiguous: ROC and PR points sit at group ends, which gives
 *   scikit-learn's handling of ties (trapezoid over distinct thresholds = midrank AUC; step-wise
 *   average precision at distinct thresholds);
 * - "predicted positive" (score >= threshold) is a prefix, so the confusion matrix is read off at
 *   one cut position;
 * - calibration bins are contiguous runs, because floor(10 * s) is monotone in s.
 */

import { argsortDescending } from './sort';
import { METRIC_NAMES, type MetricName } from './types';

export const METRIC_COUNT = METRIC_NAMES.length;
export const METRIC_INDEX: Record<MetricName, number> = Object.fromEntries(
  METRIC_NAMES.map((name, i) => [name, i]),
) as Record<MetricName, number>;

/** Equal-width calibration bins on [0, 1]; see binOf for the edges. */
export const ECE_BINS = 10;

/** float64 machine epsilon: scikit-learn 1.7's log_loss clips probabilities to [eps, 1 - eps]. */
const EPS = 2.220446049250313e-16;

/** Raised for malformed input (wrong length, label not 0/1, score outside [0, 1]). */
export class ValidationInputError extends Error {
  override name = 'ValidationInputError';
}

/**
 * Per sorted position, one byte: the label, and where a tie group, a calibration bin or the
 * predicted-positive prefix ends (bins and the cut always fall on group ends). One byte instead of
 * four arrays because the bootstrap scan is bound by memory traffic.
 */
const POSITIVE = 1;
const GROUP_END = 2;
const BIN_END = 4;
const CUT_END = 8;

/** Labelled rows of one model, sorted by descending score, with per-row terms precomputed. */
export interface PreparedScores {
  threshold: number;
  /** Labelled rows with a finite score, i.e. the rows scanned. */
  rows: number;
  /** Rows skipped for a NaN label. */
  unlabelled: number;
  /** Labelled rows whose score is NaN; when > 0, every metric is null (see metrics.ts). */
  nanScores: number;
  /** Index into the caller's arrays of the row at each sorted position. */
  order: Uint32Array;
  score: Float64Array;
  /** Per-row log loss with scikit-learn's clipping. */
  loss: Float64Array;
  /** POSITIVE | GROUP_END | BIN_END | CUT_END bits, see above. */
  flags: Uint8Array;
  /** Number of sorted positions predicted positive (score >= threshold). */
  cut: number;
}

/** Weighted totals of one scan, from which the reasons for undefined metrics are worded. */
export interface ScanTotals {
  weight: number;
  positives: number;
  negatives: number;
  predictedPositive: number;
  truePositive: number;
}

export function checkThreshold(threshold: number): void {
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw new ValidationInputError(`threshold must be a number in [0, 1], got ${threshold}`);
  }
}

export function checkSameLength(field: string, values: ArrayLike<unknown>, expected: number): void {
  if (values.length !== expected) {
    throw new ValidationInputError(
      `${field} has ${values.length} rows but labels has ${expected}: pass row-aligned arrays`,
    );
  }
}

/**
 * The calibration bin of a score: bins are [0, 0.1), [0.1, 0.2), ..., [0.9, 1.0], i.e. closed on
 * the left, and the last bin is closed on both sides so that a score of exactly 1 belongs to it.
 * The edge test is floor(10 * s) in float64, so a score written as 0.3 lands in [0.3, 0.4) as a
 * reader expects (even though the double nearest 0.3 is a hair below 3/10).
 */
export function binOf(score: number): number {
  const b = Math.floor(score * ECE_BINS);
  return b >= ECE_BINS ? ECE_BINS - 1 : b;
}

/** The labelled rows of a subset with a finite score, after validating every value read. */
export interface SelectedRows {
  kept: Uint32Array;
  unlabelled: number;
  nanScores: number;
}

/**
 * Validates and filters rows: labels must be 0, 1 or NaN (unlabelled: skipped and counted);
 * scores must lie in [0, 1] or be NaN (counted). `rows` restricts to a subset of row indices (a
 * slice or group); default all rows. `scoresField` names the scores in error messages.
 */
export function selectScoredRows(
  labels: Float64Array,
  scores: Float64Array,
  rows?: Uint32Array,
  scoresField = 'scores',
): SelectedRows {
  checkSameLength(scoresField, scores, labels.length);
  const candidates = rows ?? identity(labels.length);
  const kept = new Uint32Array(candidates.length);
  let rowsKept = 0;
  let unlabelled = 0;
  let nanScores = 0;
  for (let i = 0; i < candidates.length; i++) {
    const r = candidates[i]!;
    const y = labels[r]!;
    if (y !== y) {
      unlabelled++;
      continue;
    }
    if (y !== 0 && y !== 1) {
      throw new ValidationInputError(`labels[${r}] is ${y}: labels must be 0, 1, or NaN for an unlabelled row`);
    }
    const s = scores[r]!;
    if (s !== s) {
      nanScores++;
      continue;
    }
    if (!(s >= 0 && s <= 1)) {
      throw new ValidationInputError(
        `${scoresField}[${r}] is ${s}: scores must be positive-class probabilities in [0, 1]`,
      );
    }
    kept[rowsKept++] = r;
  }
  return { kept: kept.subarray(0, rowsKept), unlabelled, nanScores };
}

/** Sorts and precomputes one model's rows (see selectScoredRows for the arguments). */
export function prepareScores(
  labels: Float64Array,
  scores: Float64Array,
  threshold: number,
  rows?: Uint32Array,
  scoresField = 'scores',
): PreparedScores {
  checkThreshold(threshold);
  const { kept, unlabelled, nanScores } = selectScoredRows(labels, scores, rows, scoresField);
  const order = copyShared(nanScores > 0 ? new Uint32Array(0) : isDescending(scores, kept) ? kept : argsortDescending(scores, kept));
  const n = order.length;
  const score = shared(Float64Array, n);
  const loss = shared(Float64Array, n);
  const flags = shared(Uint8Array, n);
  for (let k = 0; k < n; k++) {
    const r = order[k]!;
    const y = labels[r]!;
    const s = scores[r]!;
    if (y === 1) flags[k] = POSITIVE;
    score[k] = s;
    // As sklearn: the two class probabilities [1 - p, p] are clipped separately to [eps, 1 - eps].
    loss[k] = y === 1 ? -Math.log(clip(s)) : -Math.log(clip(1 - s));
  }
  const cut = markBoundaries(score, flags, 0, n, threshold);
  return { threshold, rows: n, unlabelled, nanScores, order, score, loss, flags, cut };
}

/**
 * Sets the GROUP_END, BIN_END and CUT_END flags of the sorted rows [from, to) (one prepared row
 * set) and returns its cut: the number of its rows predicted positive.
 */
function markBoundaries(score: Float64Array, flags: Uint8Array, from: number, to: number, threshold: number): number {
  let cut = 0;
  let previousBin = -1;
  for (let k = from; k < to; k++) {
    const s = score[k]!;
    if (s >= threshold) cut = k + 1 - from;
    const bin = binOf(s);
    if (k > from && score[k - 1] !== s) {
      flags[k - 1]! |= GROUP_END;
      if (previousBin !== bin) flags[k - 1]! |= BIN_END;
    }
    previousBin = bin;
  }
  if (to > from) flags[to - 1]! |= GROUP_END | BIN_END;
  if (cut > 0) flags[from + cut - 1]! |= CUT_END;
  return cut;
}

/**
 * The prepared rows of every group of a partition (slices, protected groups), cut out of the
 * prepared rows of the whole: one pass, no sort and no logarithm again. `codes[r]` is the group of
 * row r (indexed like `parent.order`; a negative code is in no group), groups are 0..groups-1.
 *
 * Each group keeps the parent's order, which is the stable descending order of its own rows, so
 * the result is exactly prepareScores on the group's rows. The parent must have no NaN score
 * (such a parent keeps no order); callers prepare each group themselves then. Rows the parent
 * skipped for a NaN label are in no group (unlabelled is 0 here: the parent counted them).
 */
export function partitionPrepared(parent: PreparedScores, codes: Int32Array, groups: number): PreparedScores[] {
  if (parent.nanScores > 0) throw new RangeError('partitionPrepared needs a parent without NaN scores');
  const { order, score, loss, flags } = parent;
  const n = order.length;
  const starts = new Int32Array(groups + 1);
  for (let k = 0; k < n; k++) {
    const g = codes[order[k]!]!;
    if (g >= 0) starts[g + 1]!++;
  }
  for (let g = 0; g < groups; g++) starts[g + 1]! += starts[g]!;
  const total = starts[groups]!;
  const out = {
    order: shared(Uint32Array, total),
    score: shared(Float64Array, total),
    loss: shared(Float64Array, total),
    flags: shared(Uint8Array, total),
  };
  const next = starts.slice(0, groups);
  for (let k = 0; k < n; k++) {
    const r = order[k]!;
    const g = codes[r]!;
    if (g < 0) continue;
    const j = next[g]!++;
    out.order[j] = r;
    out.score[j] = score[k]!;
    out.loss[j] = loss[k]!;
    out.flags[j] = flags[k]! & POSITIVE;
  }
  return Array.from({ length: groups }, (_, g) => {
    const from = starts[g]!;
    const to = starts[g + 1]!;
    const cut = markBoundaries(out.score, out.flags, from, to, parent.threshold);
    return {
      threshold: parent.threshold,
      rows: to - from,
      unlabelled: 0,
      nanScores: 0,
      order: out.order.subarray(from, to),
      score: out.score.subarray(from, to),
      loss: out.loss.subarray(from, to),
      flags: out.flags.subarray(from, to),
      cut,
    };
  });
}

/**
 * The same prepared rows for a caller that has re-laid its arrays out in this sorted order (new
 * row k = old row order[k]): only the row indices change, nothing needs re-sorting.
 */
export function inSortedLayout(p: PreparedScores): PreparedScores {
  return { ...p, unlabelled: 0, order: copyShared(identity(p.order.length)) };
}

type TypedArrayConstructor<T> = { new (buffer: SharedArrayBuffer, offset?: number, length?: number): T; BYTES_PER_ELEMENT: number };

/**
 * A zeroed typed array on shared memory. Every array the scan loop (accumulate) reads lives on
 * shared memory: V8 compiles the loop for the kinds of arrays it has seen, and a loop fed both
 * shared and unshared arrays was deoptimised over and over, until it ran three times slower. (The
 * bootstrap's kernel reads copies in its own memory, kernel.ts; bootstrap-pool.ts uses this for
 * the output and control arrays its worker threads write.)
 */
export function shared<T>(Ctor: TypedArrayConstructor<T>, length: number): T {
  return new Ctor(new SharedArrayBuffer(Math.max(1, length) * Ctor.BYTES_PER_ELEMENT), 0, length);
}

export function copyShared<T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(values: T): T {
  const out = shared(values.constructor as unknown as TypedArrayConstructor<T>, values.length);
  out.set(values);
  return out;
}

/**
 * Whether `rows` already lists its scores in descending order. The argsort is stable, so on such
 * input it returns `rows` unchanged: checking first skips the sort for every subset of rows taken
 * from an already sorted layout (the report lays its rows out in the candidate's score order, so
 * the candidate's slices and groups never need sorting again).
 */
function isDescending(scores: Float64Array, rows: Uint32Array): boolean {
  for (let i = 1; i < rows.length; i++) if (scores[rows[i]!]! > scores[rows[i - 1]!]!) return false;
  return true;
}

function clip(p: number): number {
  return p < EPS ? EPS : p > 1 - EPS ? 1 - EPS : p;
}

function identity(n: number): Uint32Array {
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  return ids;
}

/** Slots of the accumulator array filled by one pass (see accumulate), per segment. */
const TP = 0;
const FP = 1;
const LOSS = 2;
const SQUARED = 3;
const AREA = 4;
const PRECISION_STEPS = 5;
const CALIBRATION_GAP = 6;
const TP_CUT = 7;
const FP_CUT = 8;
export const ACCUMULATORS = 9;

/**
 * Several prepared row sets ("segments": the overall rows, then every slice) laid end to end, so
 * that one call scans all of them. Segment s is rows [starts[s], starts[s + 1]); each keeps its own
 * flags (its tie groups, bins and cut), exactly as prepareScores made them.
 */
export interface ScanTrack {
  /** Per row, where its weight is read: weights[index[k]]. */
  index: Uint32Array;
  score: Float64Array;
  loss: Float64Array;
  flags: Uint8Array;
  starts: Int32Array;
}

/** One prepared row set as a track of one segment (no copy). */
export function trackOf(p: PreparedScores): ScanTrack {
  return { index: p.order, score: p.score, loss: p.loss, flags: p.flags, starts: copyShared(Int32Array.of(0, p.order.length)) };
}

/** Tiny against any count, so that a division by a zero total weight gives 0 instead of NaN. */
const TINY = 1e-300;

/**
 * The scan: fills ACCUMULATORS slots per segment of `track` into `acc`. It computes every point
 * estimate and is the reference for the bootstrap's WebAssembly kernel (kernel/bootstrap-kernel.ts),
 * which performs exactly this arithmetic for four replicates at once: change one, change the other
 * (test/unit/bootstrap-kernel.test.ts compares them bit for bit). Kept apart from the
 * code that reads the results because V8 compiles a long loop on-stack ("OSR") while it first runs;
 * with more code after the loop in the same function, every later call re-entered the OSR code and
 * deoptimised at the loop exit. Warmed up at module load (see the end of this file).
 *
 * Nothing in the loop branches on a weight: the branches test only the row's flags, which do not
 * change between bootstrap replicates and are predicted well, whereas a branch on a random weight
 * (e.g. "did this tie group gain positives?") is mispredicted a good part of the time. Hence the
 * precision step is computed at every group end: dtp is 0 where no positive was added, and TINY
 * keeps 0 / 0 at 0 (tp + fp + TINY equals tp + fp whenever tp + fp >= 1).
 *
 * tp and fp are int32 (`| 0`): integer adds instead of float adds. Safe while the total weight is
 * below 2^31 (a resample of n rows has total weight n).
 */
function accumulate(track: ScanTrack, weights: Uint8Array | null, acc: Float64Array): void {
  const { index, score, loss, flags, starts } = track;
  for (let segment = 0, a = 0; segment < starts.length - 1; segment++, a += ACCUMULATORS) {
    let tp = 0;
    let fp = 0;
    let groupTp = 0;
    let groupFp = 0;
    let binTp = 0;
    let binScore = 0;
    let lossSum = 0;
    let squaredSum = 0;
    let area = 0; // ROC area in (count x count) units, divided by P * N at the end
    let precisionSteps = 0; // sum over groups of (new positives) * precision
    let calibrationGap = 0; // sum over bins of |sum(y) - sum(s)|
    let tpCut = 0;
    let fpCut = 0;
    const end = starts[segment + 1]!;
    for (let k = starts[segment]!; k < end; k++) {
      const w = weights === null ? 1 : weights[index[k]!]!;
      const f = flags[k]!;
      const y = f & POSITIVE;
      const s = score[k]!;
      const wy = w & -y; // w if positive, else 0
      tp = (tp + wy) | 0;
      fp = (fp + w - wy) | 0;
      lossSum += w * loss[k]!;
      const d = y - s;
      squaredSum += w * d * d;
      binScore += w * s;
      if (f > POSITIVE) {
        const dtp = (tp - groupTp) | 0;
        area += (fp - groupFp) * (groupTp + 0.5 * dtp);
        precisionSteps += dtp * (tp / (tp + fp + TINY));
        groupTp = tp;
        groupFp = fp;
        if (f > (GROUP_END | POSITIVE)) {
          if ((f & BIN_END) !== 0) {
            calibrationGap += Math.abs(tp - binTp - binScore);
            binTp = tp;
            binScore = 0;
          }
          if ((f & CUT_END) !== 0) {
            tpCut = tp;
            fpCut = fp;
          }
        }
      }
    }
    acc[a + TP] = tp;
    acc[a + FP] = fp;
    acc[a + LOSS] = lossSum;
    acc[a + SQUARED] = squaredSum;
    acc[a + AREA] = area;
    acc[a + PRECISION_STEPS] = precisionSteps;
    acc[a + CALIBRATION_GAP] = calibrationGap;
    acc[a + TP_CUT] = tpCut;
    acc[a + FP_CUT] = fpCut;
  }
}

/**
 * Weighted scan of every segment of `track`: acc receives ACCUMULATORS slots per segment (read
 * them with metricsFromAccumulators). `weights[index[k]]` is the multiplicity of row k (a bootstrap
 * resample count, < 256: see resampleCounts); null means every row once. The total weight of a
 * segment must stay below 2^31.
 */
export function scanTrack(track: ScanTrack, weights: Uint8Array | null, acc: Float64Array): void {
  if (acc.length < (track.starts.length - 1) * ACCUMULATORS) throw new RangeError('scanTrack: acc is too short for the segments');
  accumulate(track, weights, acc);
}

/**
 * The ten metrics of one segment's accumulators (at acc[a]) into out[o..o + 10), indexed by
 * METRIC_INDEX; NaN where undefined (callers turn NaN into null with a reason). A segment whose
 * rows include a NaN score (nanScores > 0) has every metric NaN.
 */
export function metricsFromAccumulators(acc: Float64Array, a: number, nanScores: number, out: Float64Array, o: number): void {
  const positives = acc[a + TP]!;
  const negatives = acc[a + FP]!;
  const tpCut = acc[a + TP_CUT]!;
  const fpCut = acc[a + FP_CUT]!;
  const total = positives + negatives;
  const predicted = tpCut + fpCut;
  out.fill(NaN, o, o + METRIC_COUNT);
  if (nanScores > 0 || total === 0) return;
  const both = positives > 0 && negatives > 0;
  out[o + METRIC_INDEX.auc] = both ? acc[a + AREA]! / (positives * negatives) : NaN;
  out[o + METRIC_INDEX.average_precision] = both ? acc[a + PRECISION_STEPS]! / positives : NaN;
  out[o + METRIC_INDEX.log_loss] = acc[a + LOSS]! / total;
  out[o + METRIC_INDEX.brier] = acc[a + SQUARED]! / total;
  out[o + METRIC_INDEX.accuracy] = (tpCut + (negatives - fpCut)) / total;
  // zero_division=0, as scikit-learn's precision/recall/f1 with zero_division=0.
  out[o + METRIC_INDEX.precision] = predicted > 0 ? tpCut / predicted : 0;
  out[o + METRIC_INDEX.recall] = positives > 0 ? tpCut / positives : 0;
  const f1Denominator = positives + predicted; // = 2 TP + FP + FN
  out[o + METRIC_INDEX.f1] = f1Denominator > 0 ? (2 * tpCut) / f1Denominator : 0;
  out[o + METRIC_INDEX.positive_rate] = predicted / total;
  // sum_b (n_b / n) |mean_b(y) - mean_b(s)| = sum_b |sum_b(y) - sum_b(s)| / n
  out[o + METRIC_INDEX.ece] = acc[a + CALIBRATION_GAP]! / total;
}

/**
 * One fused pass over one prepared row set: writes the ten metrics into `out` (see
 * metricsFromAccumulators) and returns the weighted totals. `weights` as in scanTrack.
 */
export function scanMetrics(p: PreparedScores, weights: Uint8Array | null, out: Float64Array): ScanTotals {
  const acc = new Float64Array(ACCUMULATORS);
  accumulate(trackOf(p), weights, acc);
  metricsFromAccumulators(acc, 0, p.nanScores, out, 0);
  const positives = acc[TP]!;
  const negatives = acc[FP]!;
  return {
    weight: positives + negatives,
    positives,
    negatives,
    predictedPositive: acc[TP_CUT]! + acc[FP_CUT]!,
    truePositive: acc[TP_CUT]!,
  };
}

export function isPositive(p: PreparedScores, k: number): boolean {
  return (p.flags[k]! & POSITIVE) !== 0;
}

/**
 * Cumulative true and false positives at each distinct score, descending: scikit-learn's
 * _binary_clf_curve, the raw material of the ROC and precision-recall curves.
 */
export function thresholdCounts(p: PreparedScores): { threshold: Float64Array; tp: Float64Array; fp: Float64Array } {
  let groups = 0;
  for (let k = 0; k < p.flags.length; k++) if ((p.flags[k]! & GROUP_END) !== 0) groups++;
  const threshold = new Float64Array(groups);
  const tp = new Float64Array(groups);
  const fp = new Float64Array(groups);
  let positives = 0;
  let e = 0;
  for (let k = 0; k < p.flags.length; k++) {
    positives += p.flags[k]! & POSITIVE;
    if ((p.flags[k]! & GROUP_END) !== 0) {
      threshold[e] = p.score[k]!;
      tp[e] = positives;
      fp[e] = k + 1 - positives;
      e++;
    }
  }
  return { threshold, tp, fp };
}

// Warm-up (see accumulate): run the loop, weighted and unweighted, on a few rows, so that V8 has
// type feedback for every operation before a large scan triggers on-stack compilation. V8 only
// allocates a function's feedback after several calls, hence the repetitions.
{
  const warm = trackOf(prepareScores(Float64Array.of(1, 0, 1, 0), Float64Array.of(0.9, 0.6, 0.3, 0.3), 0.5));
  const acc = new Float64Array(ACCUMULATORS);
  const weights = copyShared(Uint8Array.of(1, 2, 0, 1));
  for (let i = 0; i < 32; i++) accumulate(warm, i % 2 === 0 ? weights : null, acc);
}
