/**
 * AssemblyScript source of the bootstrap's compute kernel (compiled by `npm run build:kernel` to
 * bootstrap-kernel.wasm, which is checked in; test/unit/bootstrap-kernel.test.ts rebuilds it and
 * fails if the two differ). Not part of the TypeScript program: AssemblyScript has its own types.
 *
 * Why WebAssembly: the bootstrap is a billion weighted row visits. The same arithmetic in plain
 * TypeScript (validation/scored.ts, `accumulate`, which remains the reference and computes every
 * point estimate) costs ~7 ns per row and replicate; here four replicates share each pass over the
 * rows (their weights sit side by side in one 32-bit word per row) and the floating-point sums run
 * two replicates per SIMD instruction, which makes a replicate about three times cheaper.
 *
 * Every lane performs exactly the operations of `accumulate`, in the same order, in IEEE double
 * precision (WebAssembly has no fused multiply-add or excess precision), so the kernel's results
 * are bit-for-bit those of the TypeScript scan: the tests compare them with Object.is.
 *
 * Everything lives in the caller's shared memory (imported): the kernel owns no data and keeps no
 * state between calls, so any thread may run any block of replicates.
 */

const ACCUMULATORS: i32 = 9; // the slots of scored.ts, in its order: TP FP LOSS SQUARED AREA PRECISION_STEPS CALIBRATION_GAP TP_CUT FP_CUT
const TINY: f64 = 1e-300;
const POSITIVE: i32 = 1;
const GROUP_END: i32 = 2;
const BIN_END: i32 = 4;
const CUT_END: i32 = 8;

/**
 * One bootstrap resample of n rows as multiplicities, exactly as Rng.countBelow (rng.ts) draws it:
 * xoshiro128** from the four state words at `state`, uniform in [0, n) under the smallest covering
 * mask with rejection, counts[x] += 1 per draw (counts is zeroed first). Returns the largest count,
 * which the caller checks against the byte's range.
 */
export function resample(state: usize, n: u32, mask: u32, counts: usize): i32 {
  memory.fill(counts, 0, <usize>n);
  let s0 = load<u32>(state);
  let s1 = load<u32>(state, 4);
  let s2 = load<u32>(state, 8);
  let s3 = load<u32>(state, 12);
  let most: i32 = 0;
  for (let j: u32 = 0; j < n; ) {
    const x = (rotl<u32>(s1 * 5, 7) * 9) & mask;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl<u32>(s3, 11);
    if (x < n) {
      const at = counts + <usize>x;
      const c = <i32>load<u8>(at) + 1;
      store<u8>(at, c);
      most = max(most, c);
      j++;
    }
  }
  return most;
}

/** Four byte arrays of n counts into one array of n words: weights[4k + lane] = counts_lane[k]. */
export function interleave(c0: usize, c1: usize, c2: usize, c3: usize, n: u32, weights: usize): void {
  for (let k: usize = 0; k < <usize>n; k++) {
    const word = <u32>load<u8>(c0 + k) | (<u32>load<u8>(c1 + k) << 8) | (<u32>load<u8>(c2 + k) << 16) | (<u32>load<u8>(c3 + k) << 24);
    store<u32>(weights + (k << 2), word);
  }
}

/** out[k] = weights[space[k]]: the four lanes' counts of the row at position k of another order. */
export function gather(weights: usize, space: usize, n: u32, out: usize): void {
  for (let k: usize = 0; k < <usize>n; k++) {
    store<u32>(out + (k << 2), load<u32>(weights + (<usize>load<u32>(space + (k << 2)) << 2)));
  }
}

/**
 * The weighted scan of scored.ts's `accumulate` for four replicates at once, over every segment of
 * a track (index, score, loss, flags, starts as in ScanTrack). The weight of row k in lane L is
 * byte L of weights[index[k]]. Lane L's accumulators of segment s go to
 * acc[(L * segments + s) * ACCUMULATORS + slot]. Integer counts use i32 lanes (as `| 0` does in
 * TypeScript); each float accumulator is two f64x2 vectors, lanes 0-1 and 2-3.
 */
export function scan(index: usize, score: usize, loss: usize, flags: usize, starts: usize, segments: i32, weights: usize, acc: usize): void {
  const tiny = f64x2.splat(TINY);
  const half = f64x2.splat(0.5);
  const zero = f64x2.splat(0);
  for (let segment = 0; segment < segments; segment++) {
    let tp = i32x4.splat(0);
    let fp = i32x4.splat(0);
    let groupTp = i32x4.splat(0);
    let groupFp = i32x4.splat(0);
    let binTp = i32x4.splat(0);
    let tpCut = i32x4.splat(0);
    let fpCut = i32x4.splat(0);
    let lossLo = zero, lossHi = zero;
    let squaredLo = zero, squaredHi = zero;
    let binScoreLo = zero, binScoreHi = zero;
    let areaLo = zero, areaHi = zero;
    let precisionLo = zero, precisionHi = zero;
    let calibrationLo = zero, calibrationHi = zero;
    const end = load<i32>(starts + (<usize>(segment + 1) << 2));
    for (let k = load<i32>(starts + (<usize>segment << 2)); k < end; k++) {
      const row = <usize>k;
      const w = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(weights + (<usize>load<u32>(index + (row << 2)) << 2))));
      const f = <i32>load<u8>(flags + row);
      const y = f & POSITIVE;
      const s = load<f64>(score + (row << 3));
      const wy = v128.and(w, i32x4.splat(-y));
      tp = i32x4.add(tp, wy);
      fp = i32x4.add(fp, i32x4.sub(w, wy));
      const wLo = low(w);
      const wHi = high(w);
      const l = f64x2.splat(load<f64>(loss + (row << 3)));
      lossLo = f64x2.add(lossLo, f64x2.mul(wLo, l));
      lossHi = f64x2.add(lossHi, f64x2.mul(wHi, l));
      const d = f64x2.splat(<f64>y - s);
      squaredLo = f64x2.add(squaredLo, f64x2.mul(f64x2.mul(wLo, d), d));
      squaredHi = f64x2.add(squaredHi, f64x2.mul(f64x2.mul(wHi, d), d));
      const sv = f64x2.splat(s);
      binScoreLo = f64x2.add(binScoreLo, f64x2.mul(wLo, sv));
      binScoreHi = f64x2.add(binScoreHi, f64x2.mul(wHi, sv));
      if (f > POSITIVE) {
        const dtp = i32x4.sub(tp, groupTp);
        const dfp = i32x4.sub(fp, groupFp);
        const seen = i32x4.add(tp, fp);
        areaLo = f64x2.add(areaLo, f64x2.mul(low(dfp), f64x2.add(low(groupTp), f64x2.mul(half, low(dtp)))));
        areaHi = f64x2.add(areaHi, f64x2.mul(high(dfp), f64x2.add(high(groupTp), f64x2.mul(half, high(dtp)))));
        precisionLo = f64x2.add(precisionLo, f64x2.mul(low(dtp), f64x2.div(low(tp), f64x2.add(low(seen), tiny))));
        precisionHi = f64x2.add(precisionHi, f64x2.mul(high(dtp), f64x2.div(high(tp), f64x2.add(high(seen), tiny))));
        groupTp = tp;
        groupFp = fp;
        if (f > (GROUP_END | POSITIVE)) {
          if ((f & BIN_END) != 0) {
            const binPositives = i32x4.sub(tp, binTp);
            calibrationLo = f64x2.add(calibrationLo, f64x2.abs(f64x2.sub(low(binPositives), binScoreLo)));
            calibrationHi = f64x2.add(calibrationHi, f64x2.abs(f64x2.sub(high(binPositives), binScoreHi)));
            binTp = tp;
            binScoreLo = zero;
            binScoreHi = zero;
          }
          if ((f & CUT_END) != 0) {
            tpCut = tp;
            fpCut = fp;
          }
        }
      }
    }
    const slot = acc + (<usize>(segment * ACCUMULATORS) << 3);
    const lane = <usize>(segments * ACCUMULATORS) << 3;
    storeLanes(slot, lane, low(tp), high(tp));
    storeLanes(slot + 8, lane, low(fp), high(fp));
    storeLanes(slot + 16, lane, lossLo, lossHi);
    storeLanes(slot + 24, lane, squaredLo, squaredHi);
    storeLanes(slot + 32, lane, areaLo, areaHi);
    storeLanes(slot + 40, lane, precisionLo, precisionHi);
    storeLanes(slot + 48, lane, calibrationLo, calibrationHi);
    storeLanes(slot + 56, lane, low(tpCut), high(tpCut));
    storeLanes(slot + 64, lane, low(fpCut), high(fpCut));
  }
}

/** Lanes 0 and 1 of four i32 as doubles. */
// @ts-ignore: decorator
@inline function low(v: v128): v128 {
  return f64x2.convert_low_i32x4_s(v);
}

/** Lanes 2 and 3 of four i32 as doubles. */
// @ts-ignore: decorator
@inline function high(v: v128): v128 {
  return f64x2.convert_low_i32x4_s(i32x4.shuffle(v, v, 2, 3, 0, 1));
}

// @ts-ignore: decorator
@inline function storeLanes(at: usize, laneStride: usize, lo: v128, hi: v128): void {
  store<f64>(at, f64x2.extract_lane(lo, 0));
  store<f64>(at + laneStride, f64x2.extract_lane(lo, 1));
  store<f64>(at + 2 * laneStride, f64x2.extract_lane(hi, 0));
  store<f64>(at + 3 * laneStride, f64x2.extract_lane(hi, 1));
}
