/**
 * Writes a fitted LogisticModel as an ONNX ModelProto whose graph holds the whole preprocessing,
 * so serving needs nothing but onnxruntime:
 *
 *   numeric inputs (float [N,1]) ─ Concat → Imputer(NaN → median) → Scaler((x − mean) / std) ─┐
 *   categorical input (string [N,1]) → OneHotEncoder(zeros=1) → Flatten ─ (one per feature) ──┤
 *                                                                          Concat(axis=1) ─────┘
 *   → LinearClassifier(LOGISTIC, classes 0/1) → "label" int64 [N], "probabilities" float [N,2]
 *
 * The classifier gets coefficient rows (−w, w) and intercepts (−b, b): with LOGISTIC applied per
 * class the two columns are exactly σ(−z) and σ(z), and the label is 1 iff z > 0.
 * Operator attributes are float32, so ONNX scores equal predictLogistic up to float32 rounding.
 */
import type { OnnxTypes } from '../scoring/onnx-proto';
import { onnx } from '../scoring/onnx-proto';
import { TrainerError } from './errors';
import type { LogisticModel } from './logistic';

// IR 8 is the newest onnx-proto encodes; opset 15 / ai.onnx.ml 2 are what ONNX 1.10 pairs with it,
// and every operator used here is unchanged in the versions onnxruntime 1.30 runs.
const IR_VERSION = 8;
const OPSET_DEFAULT = 15;
const OPSET_ML = 2;
const ML = 'ai.onnx.ml';

export const PROBABILITY_OUTPUT = 'probabilities';
export const LABEL_OUTPUT = 'label';

export interface OnnxExportOptions {
  modelName: string;
  producerVersion: string;
}

const A = onnx.AttributeProto.AttributeType;
const T = onnx.TensorProto.DataType;
const utf8 = (s: string) => new TextEncoder().encode(s);

const attr = {
  int: (name: string, i: number): OnnxTypes.IAttributeProto => ({ name, type: A.INT, i }),
  ints: (name: string, ints: number[]): OnnxTypes.IAttributeProto => ({ name, type: A.INTS, ints }),
  float: (name: string, f: number): OnnxTypes.IAttributeProto => ({ name, type: A.FLOAT, f }),
  floats: (name: string, floats: number[]): OnnxTypes.IAttributeProto => ({ name, type: A.FLOATS, floats }),
  string: (name: string, s: string): OnnxTypes.IAttributeProto => ({ name, type: A.STRING, s: utf8(s) }),
  strings: (name: string, strings: string[]): OnnxTypes.IAttributeProto => ({ name, type: A.STRINGS, strings: strings.map(utf8) }),
};

function node(opType: string, inputs: string[], outputs: string[], attributes: OnnxTypes.IAttributeProto[] = [], domain = ''): OnnxTypes.INodeProto {
  return { opType, input: inputs, output: outputs, attribute: attributes, domain, name: `${opType}_${outputs[0]}` };
}

function tensorInfo(name: string, elemType: number, dims: (number | string)[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** Graph-internal tensor names get a prefix so they cannot collide with a feature called "label". */
const internal = (name: string) => `ratchet__${name}`;

export function logisticToOnnx(model: LogisticModel, options: OnnxExportOptions): Uint8Array {
  const { preprocessing: pre } = model;
  const clash = model.features.find((f) => f.name === LABEL_OUTPUT || f.name === PROBABILITY_OUTPUT || f.name.startsWith(internal('')));
  if (clash) {
    throw new TrainerError('invalid_input', `feature "${clash.name}" clashes with a tensor name of the exported graph; rename the feature`);
  }
  const nodes: OnnxTypes.INodeProto[] = [];
  const designParts: string[] = [];

  if (pre.numeric.length > 0) {
    const raw = internal('numeric_raw');
    const imputed = internal('numeric_imputed');
    const scaled = internal('numeric_scaled');
    nodes.push(node('Concat', pre.numeric.map((t) => t.name), [raw], [attr.int('axis', 1)]));
    nodes.push(
      node('Imputer', [raw], [imputed], [attr.floats('imputed_value_floats', pre.numeric.map((t) => t.median)), attr.float('replaced_value_float', Number.NaN)], ML),
    );
    nodes.push(
      node('Scaler', [imputed], [scaled], [attr.floats('offset', pre.numeric.map((t) => t.mean)), attr.floats('scale', pre.numeric.map((t) => 1 / t.std))], ML),
    );
    designParts.push(scaled);
  }
  pre.categorical.forEach((t, j) => {
    // A feature with no category seen in training contributes no design column; its input stays declared.
    if (t.categories.length === 0) return;
    const encoded = internal(`onehot_${j}`);
    const flat = internal(`onehot_${j}_flat`);
    // OneHotEncoder appends a dimension ([N,1] → [N,1,C]); Flatten makes it [N,C].
    nodes.push(node('OneHotEncoder', [t.name], [encoded], [attr.strings('cats_strings', t.categories), attr.int('zeros', 1)], ML));
    nodes.push(node('Flatten', [encoded], [flat], [attr.int('axis', 1)]));
    designParts.push(flat);
  });
  if (designParts.length === 0 || model.weights.length === 0) {
    throw new TrainerError('invalid_input', 'the model has no design columns (every feature was empty in training): nothing to export');
  }
  const design = internal('design');
  nodes.push(node('Concat', designParts, [design], [attr.int('axis', 1)]));
  nodes.push(
    node(
      'LinearClassifier',
      [design],
      [LABEL_OUTPUT, PROBABILITY_OUTPUT],
      [
        attr.floats('coefficients', [...model.weights.map((w) => -w), ...model.weights]),
        attr.floats('intercepts', [-model.intercept, model.intercept]),
        attr.ints('classlabels_ints', [0, 1]),
        attr.string('post_transform', 'LOGISTIC'),
        attr.int('multi_class', 0),
      ],
      ML,
    ),
  );

  const inputs = model.features.map((f) => tensorInfo(f.name, f.type === 'numeric' ? T.FLOAT : T.STRING, ['N', 1]));
  const metadata: Record<string, string> = {
    'ratchet.format': String(model.formatVersion),
    'ratchet.trainer': 'builtin-logistic',
    'ratchet.features': JSON.stringify(model.features),
    'ratchet.columns': JSON.stringify(model.columns),
    'ratchet.params': JSON.stringify(model.params),
  };
  const proto: OnnxTypes.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [
      { domain: '', version: OPSET_DEFAULT },
      { domain: ML, version: OPSET_ML },
    ],
    producerName: 'ratchet',
    producerVersion: options.producerVersion,
    docString: 'Logistic regression with in-graph imputation, scaling and one-hot encoding (Ratchet built-in trainer).',
    graph: {
      name: options.modelName,
      node: nodes,
      input: inputs,
      output: [tensorInfo(LABEL_OUTPUT, T.INT64, ['N']), tensorInfo(PROBABILITY_OUTPUT, T.FLOAT, ['N', 2])],
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(proto).finish();
}
