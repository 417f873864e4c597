import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ColumnTable, FeatureRow, FeatureSpec } from '../../core/types';
import { ModelLoadError, OnnxModel, ScoringInputError } from '../../scoring/onnx-model';
import { onnx } from '../../scoring/onnx-proto';
import type { OnnxTypes } from '../../scoring/onnx-proto';
import { stripTrailingZipMap } from '../../scoring/strip-zipmap';

const fixture = (name: string) => new URL(`../fixtures/trainers/${name}`, import.meta.url);
const readJson = <T>(name: string): T => JSON.parse(readFileSync(fixture(name), 'utf8')) as T;

interface ScoringFixture {
  features: FeatureSpec[];
  rows: FeatureRow[];
  expected: number[];
  outputs?: string[];
}

const zipmapBytes = new Uint8Array(readFileSync(fixture('sklearn-zipmap.onnx')));
const zipmap = readJson<ScoringFixture>('sklearn-zipmap.json');
const matrixBytes = new Uint8Array(readFileSync(fixture('sklearn-matrix.onnx')));
const matrix = readJson<ScoringFixture>('sklearn-matrix.json');

function assertClose(actual: Float64Array, expected: number[], tolerance: number): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < tolerance, `row ${i}: ${actual[i]} vs ${e}`));
}

function rowsToTable(rows: FeatureRow[], features: FeatureSpec[]): ColumnTable {
  const columns: ColumnTable['columns'] = {};
  for (const f of features) {
    columns[f.name] =
      f.type === 'numeric' ? Float64Array.from(rows, (r) => (r[f.name] === null ? Number.NaN : Number(r[f.name]))) : rows.map((r) => r[f.name] as string | null);
  }
  return { rowCount: rows.length, columns };
}

/** A tiny hand-built model: `nodes` over `inputs`, declaring `outputs`. */
function buildModel(inputs: OnnxTypes.IValueInfoProto[], nodes: OnnxTypes.INodeProto[], outputs: OnnxTypes.IValueInfoProto[]): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 15 },
      { domain: 'ai.onnx.ml', version: 2 },
    ],
    graph: { name: 'hand-built', node: nodes, input: inputs, output: outputs },
  }).finish();
}

const T = onnx.TensorProto.DataType;
const tensor = (name: string, elemType: number, dims: (number | string)[]): OnnxTypes.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});
const castTo = (to: number): OnnxTypes.IAttributeProto => ({ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to });

test('a scikit-learn pipeline exported with its default ZipMap output scores like scikit-learn', async () => {
  assert.deepEqual(zipmap.outputs, ['output_label', 'output_probability'], 'the fixture really ends in a ZipMap');
  const model = await OnnxModel.load(zipmapBytes, zipmap.features);
  try {
    assert.deepEqual([...model.inputNames], ['x1', 'x2', 'x3', 'colour', 'size']);
    assertClose(await model.scoreRows(zipmap.rows), zipmap.expected, 1e-5);
    assertClose(await model.scoreTable(rowsToTable(zipmap.rows, zipmap.features)), zipmap.expected, 1e-5);
    // The serving path: one row at a time gives the same answers.
    for (let i = 0; i < zipmap.rows.length; i++) assertClose(await model.scoreRows([zipmap.rows[i]!]), [zipmap.expected[i]!], 1e-5);
  } finally {
    await model.close();
  }
});

test('stripping the ZipMap exposes its probability tensor and keeps the rest of the graph', () => {
  const stripped = stripTrailingZipMap(zipmapBytes);
  assert.ok(stripped);
  assert.equal(stripped.exposedOutput, 'probabilities');
  assert.equal(stripped.removedOutput, 'output_probability');
  const before = onnx.ModelProto.decode(zipmapBytes);
  const after = onnx.ModelProto.decode(stripped.bytes);
  assert.deepEqual(after.graph!.output!.map((o) => o.name), ['output_label', 'probabilities']);
  assert.equal(after.graph!.node!.length, before.graph!.node!.length - 1);
  assert.ok(!after.graph!.node!.some((n) => n.opType === 'ZipMap'));
  assert.equal(after.graph!.initializer!.length, before.graph!.initializer!.length);
  assert.equal(stripTrailingZipMap(stripped.bytes), null, 'nothing left to strip');
});

test('a single [N,F] float input takes the numeric features in declared order', async () => {
  const model = await OnnxModel.load(matrixBytes, matrix.features);
  try {
    assert.deepEqual([...model.inputNames], ['input']);
    assertClose(await model.scoreRows(matrix.rows), matrix.expected, 1e-5);
    assertClose(await model.scoreTable(rowsToTable(matrix.rows, matrix.features)), matrix.expected, 1e-5);
  } finally {
    await model.close();
  }
  await assert.rejects(OnnxModel.load(matrixBytes, matrix.features.slice(0, 2)), (err: unknown) => {
    assert.ok(err instanceof ModelLoadError);
    assert.match(err.message, /input \(float32 \[\?,3\]\)/);
    assert.match(err.message, /should have shape \[N,2\]/);
    return true;
  });
  await assert.rejects(
    OnnxModel.load(matrixBytes, [...matrix.features.slice(0, 2), { name: 'f2', type: 'categorical' }]),
    /cannot take categorical features \(f2\)/,
  );
});

test('corrupt or empty bytes are a ModelLoadError', async () => {
  await assert.rejects(OnnxModel.load(new Uint8Array(0), zipmap.features), ModelLoadError);
  await assert.rejects(OnnxModel.load(new TextEncoder().encode('this is not an onnx model at all'), zipmap.features), (err: unknown) => {
    assert.ok(err instanceof ModelLoadError);
    assert.match(err.message, /could not load the ONNX model \(32 bytes\)/);
    return true;
  });
  await assert.rejects(OnnxModel.load(zipmapBytes.subarray(0, zipmapBytes.length - 100), zipmap.features), ModelLoadError);
});

test('inputs that do not match the declared features are a ModelLoadError naming both', async () => {
  const missing = zipmap.features.filter((f) => f.name !== 'size');
  await assert.rejects(OnnxModel.load(zipmapBytes, missing), (err: unknown) => {
    assert.ok(err instanceof ModelLoadError);
    assert.match(err.message, /model inputs x1 \(float32 \[\?,1\]\), x2 .*size \(string \[\?,1\]\) do not match the declared features x1:numeric/);
    assert.match(err.message, /input\(s\) size match no declared feature/);
    return true;
  });
  const wrongType = zipmap.features.map((f) => (f.name === 'colour' ? { ...f, type: 'numeric' as const } : f));
  await assert.rejects(OnnxModel.load(zipmapBytes, wrongType), /input colour \(string \[\?,1\]\) cannot take numeric feature "colour"/);
  await assert.rejects(OnnxModel.load(zipmapBytes, [...zipmap.features, zipmap.features[0]!]), /declared twice/);
});

test('a value of the wrong type is a ScoringInputError naming the feature and the row', async () => {
  const model = await OnnxModel.load(zipmapBytes, zipmap.features);
  try {
    const good = zipmap.rows[0]!;
    const refuses = async (rows: FeatureRow[], feature: string, row: number | null, pattern: RegExp) =>
      assert.rejects(model.scoreRows(rows), (err: unknown) => {
        assert.ok(err instanceof ScoringInputError, String(err));
        assert.equal(err.feature, feature);
        assert.equal(err.row, row);
        assert.match(err.message, pattern);
        return true;
      });
    await refuses([good, { ...good, x2: 'lots' }], 'x2', 1, /feature "x2" row 1: expected a number, boolean or null, got string "lots"/);
    await refuses([{ ...good, colour: 3 }], 'colour', 0, /feature "colour" row 0: expected a string or null, got number 3/);
    const { size: _size, ...withoutSize } = good;
    await refuses([withoutSize], 'size', 0, /row 0 has no value for feature "size" \(send null for a missing value\)/);

    const table = rowsToTable(zipmap.rows, zipmap.features);
    await assert.rejects(model.scoreTable({ ...table, columns: { ...table.columns, x1: zipmap.rows.map(() => 'a') } }), /feature "x1" is numeric but its column holds string "a"/);
    const { x3: _x3, ...withoutX3 } = table.columns;
    await assert.rejects(model.scoreTable({ ...table, columns: withoutX3 }), /the table has no column "x3"/);
    await assert.rejects(model.scoreTable({ ...table, rowCount: table.rowCount + 1 }), /column "x1" has 12 values but the table has 13 rows/);
  } finally {
    await model.close();
  }
});

test('booleans score as 0/1 and null as missing; an empty request scores nothing', async () => {
  const model = await OnnxModel.load(matrixBytes, matrix.features);
  try {
    const [withBooleans, withNumbers] = [
      await model.scoreRows([{ f0: true, f1: false, f2: 0.5 }]),
      await model.scoreRows([{ f0: 1, f1: 0, f2: 0.5 }]),
    ];
    assert.deepEqual(withBooleans, withNumbers);
    assert.equal((await model.scoreRows([])).length, 0);
    // This model has no imputer: a missing value reaches it as NaN and comes back as NaN.
    assert.ok(Number.isNaN((await model.scoreRows([{ f0: null, f1: 0, f2: 0 }]))[0]));
  } finally {
    await model.close();
  }
  await assert.rejects(model.scoreRows([{ f0: 1, f1: 0, f2: 0.5 }]), /after close/);
});

test('int64 and double inputs are fed in their own types; int64 refuses missing values and fractions', async () => {
  const features: FeatureSpec[] = [
    { name: 'count', type: 'numeric' },
    { name: 'ratio', type: 'numeric' },
  ];
  const bytes = buildModel(
    [tensor('count', T.INT64, ['N', 1]), tensor('ratio', T.DOUBLE, ['N', 1])],
    [
      { opType: 'Cast', input: ['count'], output: ['count_d'], attribute: [castTo(T.DOUBLE)] },
      { opType: 'Add', input: ['count_d', 'ratio'], output: ['z'] },
      { opType: 'Sigmoid', input: ['z'], output: ['probability'] },
    ],
    [tensor('probability', T.DOUBLE, ['N', 1])],
  );
  const model = await OnnxModel.load(bytes, features);
  try {
    const scores = await model.scoreRows([
      { count: 2, ratio: -1.75 },
      { count: -1, ratio: 0.1 },
    ]);
    assertClose(scores, [1 / (1 + Math.exp(-0.25)), 1 / (1 + Math.exp(0.9))], 1e-12);
    await assert.rejects(model.scoreRows([{ count: null, ratio: 0 }]), /feature "count" row 0: the model's input "count" is int64 and cannot take a missing value/);
    await assert.rejects(model.scoreRows([{ count: 1.5, ratio: 0 }]), /cannot take 1.5/);
  } finally {
    await model.close();
  }
});

test('models without a usable binary probability output are a ModelLoadError', async () => {
  const x = tensor('x', T.FLOAT, ['N', 1]);
  const onlyLabel = buildModel([x], [{ opType: 'Cast', input: ['x'], output: ['label'], attribute: [castTo(T.INT64)] }], [tensor('label', T.INT64, ['N', 1])]);
  await assert.rejects(OnnxModel.load(onlyLabel, [{ name: 'x', type: 'numeric' }]), /no output holds class probabilities as a float tensor \(outputs: label \(int64 \[\?,1\]\)\).*zipmap/);

  const threeClasses = buildModel(
    [x],
    [{ opType: 'Concat', input: ['x', 'x', 'x'], output: ['probabilities'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }],
    [tensor('probabilities', T.FLOAT, ['N', 'C'])],
  );
  await assert.rejects(OnnxModel.load(threeClasses, [{ name: 'x', type: 'numeric' }]), /output probabilities has shape \[1,3\].*binary classifiers/);
});
