/**
 * Pure decisions about a loaded model's signature: which input takes which feature, and which
 * output holds the positive-class probability. Everything here reads the session's metadata and
 * never assumes a naming convention it has not checked.
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { FeatureSpec } from '../core/types';
import { ModelLoadError } from './errors';

type ValueMetadata = InferenceSession.ValueMetadata;

export type NumericTensorType = 'float32' | 'float64' | 'int64';
const NUMERIC_TENSOR_TYPES: readonly string[] = ['float32', 'float64', 'int64'];
const FLOAT_TENSOR_TYPES: readonly string[] = ['float32', 'float64'];

export interface FeatureInput {
  input: string;
  feature: FeatureSpec;
  tensorType: NumericTensorType | 'string';
}

/**
 * per-feature: one [N,1] input per feature, named like it (skl2onnx, the built-in trainer).
 * matrix: one [N,F] float input taking the (all numeric) features in declared order.
 */
export type InputPlan =
  | { kind: 'per-feature'; inputs: FeatureInput[] }
  | { kind: 'matrix'; input: string; tensorType: 'float32' | 'float64'; features: FeatureSpec[] };

function describeValue(meta: ValueMetadata): string {
  if (!meta.isTensor) return `${meta.name} (not a tensor)`;
  const shape = meta.shape.length === 0 ? 'unknown shape' : `[${meta.shape.map((d) => (typeof d === 'number' ? d : '?')).join(',')}]`;
  return `${meta.name} (${meta.type} ${shape})`;
}

function describeFeatures(features: readonly FeatureSpec[]): string {
  return features.map((f) => `${f.name}:${f.type}`).join(', ');
}

/** Unknown (symbolic or absent) dimensions are accepted: the runtime will check them. */
function hasColumnCount(meta: ValueMetadata & { isTensor: true }, columns: number): boolean {
  if (meta.shape.length === 0) return true;
  if (meta.shape.length !== 2) return false;
  const dim = meta.shape[1];
  return typeof dim !== 'number' || dim === columns;
}

function checkDeclaredFeatures(features: readonly FeatureSpec[]): void {
  if (features.length === 0) throw new ModelLoadError('no features declared: a model needs at least one FeatureSpec');
  const seen = new Set<string>();
  for (const f of features) {
    if (f.type !== 'numeric' && f.type !== 'categorical') {
      throw new ModelLoadError(`feature "${f.name}" has type "${String(f.type)}"; expected "numeric" or "categorical"`);
    }
    if (seen.has(f.name)) throw new ModelLoadError(`feature "${f.name}" is declared twice`);
    seen.add(f.name);
  }
}

function perFeatureProblem(meta: ValueMetadata, feature: FeatureSpec): string | null {
  if (!meta.isTensor) return `input ${meta.name} is not a tensor`;
  const wanted = feature.type === 'numeric' ? NUMERIC_TENSOR_TYPES : ['string'];
  if (!wanted.includes(meta.type)) {
    return `input ${describeValue(meta)} cannot take ${feature.type} feature "${feature.name}" (expected ${wanted.join(' or ')})`;
  }
  if (!hasColumnCount(meta, 1)) return `input ${describeValue(meta)} should have shape [N,1]`;
  return null;
}

export function planInputs(inputs: readonly ValueMetadata[], features: readonly FeatureSpec[]): InputPlan {
  checkDeclaredFeatures(features);
  const byName = new Map(inputs.map((m) => [m.name, m]));
  const mismatch = (detail: string) =>
    new ModelLoadError(
      `model inputs ${inputs.map(describeValue).join(', ') || '(none)'} do not match the declared features ` +
        `${describeFeatures(features)}: ${detail}. Ratchet accepts one [N,1] input per feature named like the ` +
        `feature (float/double/int64 for numeric, string for categorical), or a single [N,F] float input ` +
        `taking F numeric features in declared order.`,
    );

  const namedLikeFeatures = inputs.length === features.length && features.every((f) => byName.has(f.name));
  if (namedLikeFeatures) {
    const problems = features.map((f) => perFeatureProblem(byName.get(f.name)!, f)).filter((p) => p !== null);
    if (problems.length > 0) throw mismatch(problems.join('; '));
    return {
      kind: 'per-feature',
      inputs: features.map((feature) => {
        const meta = byName.get(feature.name) as ValueMetadata & { isTensor: true };
        return { input: meta.name, feature, tensorType: meta.type as FeatureInput['tensorType'] };
      }),
    };
  }

  // A lone input named like one of several features is a per-feature model missing the others.
  const only = inputs.length === 1 ? inputs[0]! : null;
  const namedLikeOneFeature = only !== null && features.length > 1 && features.some((f) => f.name === only.name);
  if (only?.isTensor && FLOAT_TENSOR_TYPES.includes(only.type) && !namedLikeOneFeature) {
    const categorical = features.filter((f) => f.type === 'categorical');
    if (categorical.length > 0) {
      throw mismatch(`a single matrix input cannot take categorical features (${categorical.map((f) => f.name).join(', ')})`);
    }
    if (!hasColumnCount(only, features.length)) {
      throw mismatch(`the matrix input should have shape [N,${features.length}], one column per numeric feature`);
    }
    return { kind: 'matrix', input: only.name, tensorType: only.type as 'float32' | 'float64', features: [...features] };
  }

  const missing = features.filter((f) => !byName.has(f.name)).map((f) => f.name);
  const unexpected = inputs.filter((m) => !features.some((f) => f.name === m.name)).map((m) => m.name);
  const details = [
    missing.length > 0 ? `no input for feature(s) ${missing.join(', ')}` : '',
    unexpected.length > 0 ? `input(s) ${unexpected.join(', ')} match no declared feature` : '',
  ].filter((d) => d !== '');
  throw mismatch(details.join('; ') || 'unsupported input layout');
}

/**
 * The output holding class probabilities: a float tensor, preferably named like "probabilities".
 * Returns null when no tensor output qualifies (e.g. only a ZipMap sequence of maps).
 */
export function chooseProbabilityOutput(outputs: readonly ValueMetadata[]): string | null {
  const floats = outputs.filter((m) => m.isTensor && FLOAT_TENSOR_TYPES.includes(m.type));
  const exact = floats.find((m) => /^(output_)?probabilit(y|ies)$/i.test(m.name));
  if (exact) return exact.name;
  const named = floats.filter((m) => /probab/i.test(m.name));
  if (named.length === 1) return named[0]!.name;
  if (floats.length === 1) return floats[0]!.name;
  if (floats.length > 1) {
    throw new ModelLoadError(
      `cannot tell which output holds the probability: several float outputs (${outputs.map(describeValue).join(', ')}); ` +
        `name the probability output "probabilities"`,
    );
  }
  return null;
}

export function describeOutputs(outputs: readonly ValueMetadata[]): string {
  return outputs.map(describeValue).join(', ') || '(none)';
}

/**
 * Which column of the output is the positive class, judged from the dims of an actual result:
 * [N,2] → column 1 of 2; [N] or [N,1] → the only column. Anything else is not a binary classifier.
 */
export function positiveClassLayout(output: string, dims: readonly number[], rows: number): { stride: number; column: number } {
  if (dims[0] === rows && (dims.length === 1 || (dims.length === 2 && dims[1] === 1))) return { stride: 1, column: 0 };
  if (dims[0] === rows && dims.length === 2 && dims[1] === 2) return { stride: 2, column: 1 };
  throw new ModelLoadError(
    `output ${output} has shape [${dims.join(',')}] for ${rows} row(s); Ratchet scores binary classifiers and expects ` +
      `[N,2] (class probabilities, positive class second) or [N] / [N,1] (positive-class probability)`,
  );
}
