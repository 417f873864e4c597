/**
 * skl2onnx ends classifiers with a ZipMap node by default: it turns the [N, classes] probability
 * tensor into a sequence of {class: probability} maps, which onnxruntime-node cannot return
 * ("Non tensor type is temporarily not supported"). Users bring such models, so instead of
 * refusing them we cut the ZipMap off and make its input tensor a graph output.
 */
import { onnx } from './onnx-proto';
import { concatBytes, lengthDelimitedField, splitFields } from './protobuf-wire';

// Field numbers from onnx.proto (stable since IR 3).
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_OUTPUT = 12;

export interface StrippedModel {
  bytes: Uint8Array;
  /** The tensor that fed the ZipMap, now a graph output (skl2onnx calls it "probabilities"). */
  exposedOutput: string;
  /** The sequence-of-maps output that was removed. */
  removedOutput: string;
}

/**
 * Returns the model without its trailing ZipMap, or null when there is none to remove: no ZipMap,
 * or its output is not a graph output, or another node consumes it (then it is not "trailing").
 * Throws WireFormatError on bytes that are not a protobuf message.
 */
export function stripTrailingZipMap(modelBytes: Uint8Array): StrippedModel | null {
  const modelFields = splitFields(modelBytes);
  const graphField = modelFields.find((f) => f.fieldNumber === MODEL_GRAPH && f.payload !== null);
  if (!graphField?.payload) return null;

  const graphFields = splitFields(graphField.payload);
  const nodes = graphFields
    .filter((f) => f.fieldNumber === GRAPH_NODE && f.payload !== null)
    .map((f) => ({ field: f, node: onnx.NodeProto.decode(f.payload!) }));
  const outputs = graphFields
    .filter((f) => f.fieldNumber === GRAPH_OUTPUT && f.payload !== null)
    .map((f) => ({ field: f, name: onnx.ValueInfoProto.decode(f.payload!).name }));

  const zipMap = nodes.find(({ node }) => {
    if (node.opType !== 'ZipMap' || node.input.length !== 1 || node.output.length !== 1) return false;
    const out = node.output[0]!;
    const consumed = nodes.some((other) => other.node !== node && other.node.input.includes(out));
    return !consumed && outputs.some((o) => o.name === out);
  });
  if (!zipMap) return null;

  const removedOutput = zipMap.node.output[0]!;
  const exposedOutput = zipMap.node.input[0]!;
  const alreadyOutput = outputs.some((o) => o.name === exposedOutput);
  // ZipMap only accepts a float tensor of rank 2, so that is what the new output declares.
  const exposedInfo = onnx.ValueInfoProto.encode({
    name: exposedOutput,
    type: {
      tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, {}] } },
    },
  }).finish();
  const newGraph = concatBytes(
    graphFields.flatMap((f) => {
      if (f === zipMap.field) return [];
      if (outputs.some((o) => o.field === f && o.name === removedOutput)) {
        // Some exporters already expose the tensor as well; declaring it twice would not load.
        return alreadyOutput ? [] : [lengthDelimitedField(GRAPH_OUTPUT, exposedInfo)];
      }
      return [f.bytes];
    }),
  );
  const newModel = concatBytes(
    modelFields.map((f) => (f === graphField ? lengthDelimitedField(MODEL_GRAPH, newGraph) : f.bytes)),
  );
  return { bytes: newModel, exposedOutput, removedOutput };
}
