/**
 * ESM access to the `onnx-proto` protobufjs definitions. The package is CommonJS and Node's ESM
 * loader cannot see its named export, so `import { onnx } from 'onnx-proto'` fails at run time;
 * taking the namespace off the default export works under both tsx and tsc.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
// Re-export the namespace's types (onnx.ModelProto, onnx.INodeProto, ...) under the same name.
export type { onnx as OnnxTypes } from 'onnx-proto';
