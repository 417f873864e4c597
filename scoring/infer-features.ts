/**
 * The features an ONNX model declares, for commands that get a bare .onnx file (`ratchet
 * evaluate`, `ratchet score`): Ratchet's own models carry them in metadata ("ratchet.features");
 * others (skl2onnx) have one input per column, string-typed for categories.
 */
import type { FeatureSpec } from '../core/types';
import { ModelLoadError } from './errors';
import { onnx } from './onnx-proto';
import { splitFields } from './protobuf-wire';

// Field numbers from onnx.proto: ModelProto.graph = 7, metadata_props = 14; GraphProto.input = 11, initializer = 5.
const MODEL_GRAPH = 7;
const MODEL_METADATA = 14;
const GRAPH_INPUT = 11;
const GRAPH_INITIALIZER = 5;
const STRING = 8;

export function inferFeatures(bytes: Uint8Array, file = 'the model'): FeatureSpec[] {
  let fields;
  try {
    fields = splitFields(bytes);
  } catch (err) {
    throw new ModelLoadError(`${file} is not an ONNX model (${(err as Error).message})`);
  }
  for (const f of fields.filter((x) => x.fieldNumber === MODEL_METADATA && x.payload)) {
    const entry = onnx.StringStringEntryProto.decode(f.payload!);
    if (entry.key === 'ratchet.features') return JSON.parse(entry.value) as FeatureSpec[];
  }
  const graph = fields.find((x) => x.fieldNumber === MODEL_GRAPH && x.payload);
  if (!graph) throw new ModelLoadError(`${file} has no graph`);
  const graphFields = splitFields(graph.payload!);
  // Old exporters list initializers among the inputs too: those are weights, not features.
  const initializers = new Set(graphFields.filter((x) => x.fieldNumber === GRAPH_INITIALIZER && x.payload).map((x) => onnx.TensorProto.decode(x.payload!).name));
  const inputs = graphFields
    .filter((x) => x.fieldNumber === GRAPH_INPUT && x.payload)
    .map((x) => onnx.ValueInfoProto.decode(x.payload!))
    .filter((v) => !initializers.has(v.name));
  if (inputs.length === 1 && Number(inputs[0]!.type?.tensorType?.shape?.dim?.[1]?.dimValue ?? 1) > 1) {
    throw new ModelLoadError(`${file} takes one [N, F] matrix input "${inputs[0]!.name}", which does not name its features; pass them with --features name:type,...`);
  }
  return inputs.map((v) => ({ name: v.name, type: v.type?.tensorType?.elemType === STRING ? 'categorical' : 'numeric' }));
}

/** "--features income:n,region:c" → FeatureSpec[]. */
export function parseFeatureList(text: string): FeatureSpec[] {
  return text.split(',').map((part) => {
    const [name, type = 'n'] = part.trim().split(':');
    if (!name) throw new Error(`--features: empty name in "${text}"`);
    if (!['n', 'numeric', 'c', 'categorical'].includes(type)) throw new Error(`--features: type of ${name} must be numeric (n) or categorical (c), got "${type}"`);
    return { name, type: type.startsWith('c') ? 'categorical' : 'numeric' };
  });
}
