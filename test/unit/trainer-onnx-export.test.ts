import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onnx } from '../../scoring/onnx-proto';
import { OnnxModel } from '../../scoring/onnx-model';
import { fitLogistic, predictLogistic } from '../../trainers/logistic';
import { logisticToOnnx } from '../../trainers/onnx-export';
import { SYNTHETIC_FEATURES, syntheticTable } from '../fixtures/trainers/synthetic';

const train = syntheticTable(3000, 11);
const model = fitLogistic(train.table, train.labels, SYNTHETIC_FEATURES, { l2: 1, maxCategories: 8 });
const bytes = logisticToOnnx(model, { modelName: 'test-model', producerVersion: '9.9.9' });

test('the ONNX graph scores exactly like the trainer, with NaN, nulls and unseen categories', async () => {
  // Scoring data the model never saw: other seed, 20% of regions replaced by an unseen category.
  const scoring = syntheticTable(2000, 12, 0.2);
  const regions = scoring.table.columns.region as (string | null)[];
  assert.ok(regions.includes('atlantis') && regions.includes(null));
  assert.ok(Array.from(scoring.table.columns.age as Float64Array).some(Number.isNaN));
  // Plans outside the top 8 kept in training are scored as all-zero one-hots too.
  assert.ok((scoring.table.columns.plan as (string | null)[]).some((p) => p !== null && !model.preprocessing.categorical[1]!.categories.includes(p)));

  const onnxModel = await OnnxModel.load(bytes, SYNTHETIC_FEATURES);
  try {
    const fromOnnx = await onnxModel.scoreTable(scoring.table);
    const fromTrainer = predictLogistic(model, scoring.table);
    assert.equal(fromOnnx.length, 2000);
    let worst = 0;
    for (let i = 0; i < fromOnnx.length; i++) worst = Math.max(worst, Math.abs(fromOnnx[i]! - fromTrainer[i]!));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
    // The scores must actually vary, or equality would prove nothing.
    assert.ok(Math.max(...fromTrainer) - Math.min(...fromTrainer) > 0.5);
  } finally {
    await onnxModel.close();
  }
});

test('a row of all-missing values scores as medians and no category', async () => {
  const onnxModel = await OnnxModel.load(bytes, SYNTHETIC_FEATURES);
  try {
    const [score] = await onnxModel.scoreRows([{ age: null, income: null, tenure: null, constant: null, region: null, plan: null }]);
    const z = model.intercept + model.preprocessing.numeric.reduce((s, t, j) => s + model.weights[j]! * ((t.median - t.mean) / t.std), 0);
    assert.ok(Math.abs(score! - 1 / (1 + Math.exp(-z))) < 1e-6, `${score} vs ${1 / (1 + Math.exp(-z))}`);
  } finally {
    await onnxModel.close();
  }
});

test('the label output is 1 exactly when the probability exceeds 0.5', async () => {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes);
  try {
    const rows = 500;
    const { table } = syntheticTable(rows, 13);
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const f of SYNTHETIC_FEATURES) {
      const col = table.columns[f.name]!;
      feeds[f.name] =
        f.type === 'numeric'
          ? new ort.Tensor('float32', Float32Array.from(col as Float64Array), [rows, 1])
          : new ort.Tensor('string', (col as (string | null)[]).map((v) => v ?? ''), [rows, 1]);
    }
    const out = await session.run(feeds);
    assert.deepEqual(out.label!.dims, [rows]);
    assert.deepEqual(out.probabilities!.dims, [rows, 2]);
    const labels = out.label!.data as BigInt64Array;
    const probs = out.probabilities!.data as Float32Array;
    for (let i = 0; i < rows; i++) {
      assert.ok(Math.abs(probs[2 * i]! + probs[2 * i + 1]! - 1) < 1e-6);
      if (Math.abs(probs[2 * i + 1]! - 0.5) > 1e-6) assert.equal(labels[i], probs[2 * i + 1]! > 0.5 ? 1n : 0n);
    }
  } finally {
    await session.release();
  }
});

test('the model carries its features and opsets for onnxruntime', () => {
  const proto = onnx.ModelProto.decode(bytes);
  const meta = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
  assert.deepEqual(JSON.parse(meta['ratchet.features']!), SYNTHETIC_FEATURES);
  assert.equal(meta['ratchet.trainer'], 'builtin-logistic');
  assert.deepEqual(JSON.parse(meta['ratchet.columns']!), model.columns);
  assert.deepEqual(
    proto.opsetImport.map((o) => [o.domain, Number(o.version)]),
    [
      ['', 15],
      ['ai.onnx.ml', 2],
    ],
  );
  assert.equal(proto.producerVersion, '9.9.9');
  assert.deepEqual(proto.graph!.input!.map((i) => i.name), SYNTHETIC_FEATURES.map((f) => f.name));
  assert.deepEqual(proto.graph!.output!.map((o) => o.name), ['label', 'probabilities']);
});

test('export is deterministic: the same model gives the same bytes', () => {
  const again = logisticToOnnx(fitLogistic(train.table, train.labels, SYNTHETIC_FEATURES, { l2: 1, maxCategories: 8 }), {
    modelName: 'test-model',
    producerVersion: '9.9.9',
  });
  assert.deepEqual(again, bytes);
});

test('a feature named like a graph output is refused before export', () => {
  const clashing = { ...model, features: [{ name: 'label', type: 'numeric' as const }] };
  assert.throws(() => logisticToOnnx(clashing, { modelName: 'm', producerVersion: '0' }), /feature "label" clashes/);
});
