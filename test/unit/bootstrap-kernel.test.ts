import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { outputLength, outputOffset, planBootstrap, replicateRng, resampleCounts, threadsThatFit, type BootstrapTarget } from '../../validation/bootstrap-plan';
import { runPlan } from '../../validation/bootstrap-pool';
import { Arena, instantiateKernel } from '../../validation/kernel';
import { maskFor, Rng } from '../../validation/rng';
import { ACCUMULATORS, METRIC_COUNT, metricsFromAccumulators, prepareScores, scanTrack, shared, trackOf } from '../../validation/scored';
import { tiedScores } from '../helpers/tied-scores';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** The bootstrap as the TypeScript reference computes it: resampleCounts, then scored.ts's scan per target. */
function referenceOutput(targets: BootstrapTarget[], rowCount: number, replicates: number, seed: number): Float64Array {
  const plan = planBootstrap(targets, rowCount, replicates, seed);
  const out = new Float64Array(outputLength(plan));
  const counts = shared(Uint8Array, rowCount);
  const acc = new Float64Array(ACCUMULATORS);
  for (let r = 0; r < replicates; r++) {
    resampleCounts(replicateRng(plan.seeds, r), rowCount, counts);
    targets.forEach((target, t) => {
      const sides = target.baseline ? [target.model, target.baseline] : [target.model];
      sides.forEach((prepared, s) => {
        scanTrack(trackOf(prepared), counts, acc);
        metricsFromAccumulators(acc, 0, prepared.nanScores, out, outputOffset(plan, r, t, s));
      });
    });
  }
  return out;
}

/** Ties, a rare positive class, slices of several sizes (one of them one-class), a baseline in another order. */
const data = (n: number, seed: number) => tiedScores(n, seed, { positiveRate: 0.15, scoreSteps: 20 });

function sameBits(actual: Float64Array, expected: Float64Array): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`value ${i} (metric ${i % METRIC_COUNT}): kernel ${actual[i]} vs reference ${expected[i]}`);
  }
}

describe('bootstrap kernel (WebAssembly)', () => {
  it('draws exactly the resamples of Rng.countBelow', () => {
    for (const n of [1, 2, 255, 256, 257, 1000, 4096]) {
      const arena = new Arena(4 * 16 + n, 2);
      const state = arena.alloc(Uint32Array, 4);
      const counts = arena.alloc(Uint8Array, n);
      const seedRng = new Rng(n);
      for (let i = 0; i < 4; i++) state[i] = seedRng.nextU32();
      const expected = resampleCounts(Rng.fromState([state[0]!, state[1]!, state[2]!, state[3]!]), n, new Uint8Array(n));
      counts.fill(7); // the kernel zeroes first
      instantiateKernel(arena.memory).resample(state.byteOffset, n, maskFor(n), counts.byteOffset);
      assert.deepEqual(Array.from(counts), Array.from(expected), `n = ${n}`);
    }
  });

  it('gives bit for bit the TypeScript scan, slices and baseline included, on one thread and on three', () => {
    const n = 600;
    const { labels, scores, baseline } = data(n, 5);
    const rows = (pick: (i: number) => boolean) => Uint32Array.from({ length: n }, (_, i) => i).filter(pick);
    const onlyNegatives = rows((i) => labels[i] === 0 && i % 7 === 0);
    const targets: BootstrapTarget[] = [
      { model: prepareScores(labels, scores, 0.5), baseline: prepareScores(labels, baseline, 0.5) },
      { model: prepareScores(labels, scores, 0.5, rows((i) => i % 3 === 0)), baseline: prepareScores(labels, baseline, 0.5, rows((i) => i % 3 === 0)) },
      { model: prepareScores(labels, scores, 0.35, rows((i) => i < 40)) },
      { model: prepareScores(labels, scores, 0.5, onlyNegatives), baseline: prepareScores(labels, baseline, 0.5, onlyNegatives) },
    ];
    const replicates = 11; // not a multiple of the kernel's four lanes
    const expected = referenceOutput(targets, n, replicates, 9);
    sameBits(runPlan(planBootstrap(targets, n, replicates, 9, 1)), expected);
    sameBits(runPlan(planBootstrap(targets, n, replicates, 9, 3), { callerTakesBlocks: false }), expected);
  });

  it('gives NaN for every metric of a target with NaN scores, as the reference does', () => {
    const labels = Float64Array.of(1, 0, 1, 0, 1);
    const scores = Float64Array.of(0.9, NaN, 0.4, 0.2, 0.7);
    const targets = [{ model: prepareScores(labels, scores, 0.5) }];
    const plan = planBootstrap(targets, 5, 4, 1, 1);
    const out = runPlan(plan);
    for (let r = 0; r < 4; r++) {
      const at = outputOffset(plan, r, 0, 0);
      assert.ok(out.subarray(at, at + METRIC_COUNT).every((v) => Number.isNaN(v)));
    }
    sameBits(out, referenceOutput(targets, 5, 4, 1));
  });

  it('uses fewer threads rather than fail when every thread\'s scratch would not fit in the 4 GiB', () => {
    const capacity = () => 1000;
    assert.equal(threadsThatFit(400, 100, 16, capacity), 6); // 400 + 6 × 100 = 1000
    assert.equal(threadsThatFit(400, 100, 4, capacity), 4);
    assert.equal(threadsThatFit(2000, 100, 8, capacity), 1); // the arena itself then refuses, naming the limit
    assert.throws(() => new Arena(5 * 2 ** 30, 1), /over WebAssembly's 4 GiB/);
  });

  it('the checked-in bootstrap-kernel.wasm is the compiled bootstrap-kernel.ts (npm run build:kernel)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ratchet-kernel-'));
    try {
      const out = path.join(dir, 'kernel.wasm');
      await run(process.execPath, [
        path.join(root, 'node_modules/assemblyscript/bin/asc.js'),
        'validation/kernel/bootstrap-kernel.ts',
        '--config',
        'validation/kernel/asconfig.json',
        '-o',
        out,
      ], { cwd: root });
      const fresh = await readFile(out);
      const checkedIn = await readFile(path.join(root, 'validation/kernel/bootstrap-kernel.wasm'));
      assert.ok(fresh.equals(checkedIn), 'bootstrap-kernel.wasm is stale: run `npm run build:kernel` and commit the result');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
