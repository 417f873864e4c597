import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { OnnxModel } from '../../scoring/onnx-model';
import { trainBuiltin } from '../../trainers/builtin';
import { TrainerError } from '../../trainers/errors';
import type { TrainProgress } from '../../trainers/types';
import { SYNTHETIC_FEATURES, syntheticTable } from '../fixtures/trainers/synthetic';

const root = await mkdtemp(path.join(os.tmpdir(), 'ratchet-trainer-builtin-'));
after(() => rm(root, { recursive: true, force: true }));

const train = syntheticTable(4000, 31);
const valid = syntheticTable(1000, 32, 0.1);

test('trainBuiltin writes a loadable model.onnx and meta.json and reports its progress', async () => {
  const outDir = path.join(root, 'run-a', 'candidate');
  const progress: TrainProgress[] = [];
  const result = await trainBuiltin({
    train: train.table,
    trainLabels: train.labels,
    valid: valid.table,
    validLabels: valid.labels,
    features: SYNTHETIC_FEATURES,
    params: { l2: 0.5 },
    outDir,
    onProgress: (p) => progress.push(p),
  });

  assert.equal(result.modelPath, path.join(outDir, 'model.onnx'));
  assert.deepEqual((await readdir(outDir)).sort(), ['meta.json', 'model.onnx'], 'no temporary files left behind');
  const bytes = await readFile(result.modelPath);
  assert.equal(result.bytes, bytes.length);
  assert.equal(result.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.deepEqual(JSON.parse(await readFile(result.metaPath, 'utf8')), result.meta);

  const { meta } = result;
  assert.equal(meta.trainer, 'builtin-logistic');
  assert.deepEqual(meta.params, { l2: 0.5, maxIter: 100, tol: 1e-8, maxCategories: 50 });
  assert.deepEqual(meta.features, SYNTHETIC_FEATURES);
  assert.equal(meta.train_rows, 4000);
  assert.equal(meta.valid_rows, 1000);
  assert.equal(meta.converged, true);
  assert.ok((meta.onnx_max_deviation as number) < 1e-5);

  const model = await OnnxModel.load(bytes, SYNTHETIC_FEATURES);
  try {
    const scores = await model.scoreTable(valid.table);
    let logLoss = 0;
    scores.forEach((p, i) => (logLoss -= valid.labels[i] === 1 ? Math.log(p) : Math.log(1 - p)));
    assert.ok(Math.abs(logLoss / scores.length - meta.valid_log_loss!) < 1e-9);
    // Better than the base rate: the synthetic labels depend on the features.
    const rate = valid.labels.reduce((s, y) => s + y, 0) / valid.table.rowCount;
    const baseline = -(rate * Math.log(rate) + (1 - rate) * Math.log(1 - rate));
    assert.ok(meta.valid_log_loss! < baseline - 0.02, `${meta.valid_log_loss} vs base rate ${baseline}`);
  } finally {
    await model.close();
  }

  const stages = [...new Set(progress.map((p) => p.stage))];
  assert.deepEqual(stages, ['preprocessing', 'fitting', 'exporting', 'validating', 'writing']);
  assert.equal(progress.filter((p) => p.stage === 'fitting').length, meta.iterations);
});

test('the same data and params give the same artifact (sha256), run after run', async () => {
  const run = (dir: string) =>
    trainBuiltin({
      train: train.table,
      trainLabels: train.labels,
      valid: valid.table,
      validLabels: valid.labels,
      features: SYNTHETIC_FEATURES,
      outDir: path.join(root, dir),
    });
  const [a, b] = [await run('det-a'), await run('det-b')];
  assert.equal(a.sha256, b.sha256);
  // Retrying into the same folder replaces the files in place.
  const c = await run('det-a');
  assert.equal(c.sha256, a.sha256);
});

test('validation labels that do not match the validation table are refused', async () => {
  await assert.rejects(
    trainBuiltin({
      train: train.table,
      trainLabels: train.labels,
      valid: valid.table,
      validLabels: valid.labels.subarray(1),
      features: SYNTHETIC_FEATURES,
      outDir: path.join(root, 'bad'),
    }),
    (err: unknown) => err instanceof TrainerError && err.kind === 'invalid_input' && /validLabels has 999 values/.test(err.message),
  );
});
