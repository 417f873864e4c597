/**
 * Scores any ONNX binary classifier on Ratchet's data through onnxruntime-node. Used by the
 * serving worker, the evaluation activity and the CLI.
 *
 * How a model is read (never assumed — see model-signature.ts):
 * - inputs: one [N,1] input per feature named like the feature (float/double/int64 for numeric,
 *   string for categorical: what skl2onnx and the built-in trainer emit), or a single [N,F] float
 *   input taking F numeric features in declared order. Anything else is a ModelLoadError.
 * - output: a float tensor [N,2] (positive class = column 1) or [N] / [N,1], preferring one named
 *   "probabilities"/"probability". A trailing ZipMap (skl2onnx's default) is cut off at load
 *   time and its input tensor scored instead. Only that one output is requested on each run.
 *
 * Missing values and types (see feature-values.ts): numeric null/NaN → NaN (the graph imputes),
 * booleans → 0/1; categorical null → "" (an unseen category: all-zero one-hot). A value of the
 * wrong type throws ScoringInputError naming the feature and the row.
 *
 * Loading runs the model once on a neutral row, so a model that cannot produce a binary
 * probability fails at load, not on the first request.
 */
import * as ort from 'onnxruntime-node';
import type { ColumnTable, FeatureRow, FeatureSpec } from '../core/types';
import { ModelLoadError, ScoringInputError } from './errors';
import { buildInputs, rowsSource, tableSource, type FeatureSource, type InputData } from './feature-values';
import { chooseProbabilityOutput, describeOutputs, planInputs, positiveClassLayout, type InputPlan } from './model-signature';
import { stripTrailingZipMap } from './strip-zipmap';

export { ModelLoadError, ScoringInputError };

/** Rows per session.run: bounds the memory of string tensors on very large tables. */
const CHUNK_ROWS = 65_536;

export interface OnnxModelOptions {
  /** Threads one run may use; leave unset for onnxruntime's default (all cores). */
  intraOpNumThreads?: number;
}

async function createSession(bytes: Uint8Array, options: OnnxModelOptions): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, {
      ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
      logSeverityLevel: 3, // errors only: onnxruntime's warnings about unused initializers are noise here
    });
  } catch (err) {
    throw new ModelLoadError(`could not load the ONNX model (${bytes.length} bytes): ${(err as Error).message}`);
  }
}

/** A source that yields a neutral value for every feature: 0 and "". */
function neutralRow(): FeatureSource {
  return { rowCount: 1, numeric: () => () => 0, categorical: () => () => '' };
}

export class OnnxModel {
  private closed = false;
  private readonly singleRowDims = new Map<number, readonly number[]>();
  private readonly fetches: readonly string[];

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly features: FeatureSpec[],
    private readonly plan: InputPlan,
    private readonly probabilityOutput: string,
  ) {
    this.fetches = [probabilityOutput];
  }

  static async load(bytes: Uint8Array, features: FeatureSpec[], options: OnnxModelOptions = {}): Promise<OnnxModel> {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
      throw new ModelLoadError('the ONNX model is empty: expected the bytes of a model.onnx file');
    }
    let session = await createSession(bytes, options);
    try {
      let output = chooseProbabilityOutput(session.outputMetadata);
      if (output === null) {
        const stripped = stripZipMapQuietly(bytes);
        if (stripped) {
          await session.release();
          session = await createSession(stripped, options);
          output = chooseProbabilityOutput(session.outputMetadata);
        }
      }
      if (output === null) {
        throw new ModelLoadError(
          `no output holds class probabilities as a float tensor (outputs: ${describeOutputs(session.outputMetadata)}). ` +
            `Export the probabilities as a tensor; for skl2onnx use options={'zipmap': False}`,
        );
      }
      const plan = planInputs(session.inputMetadata, features);
      const model = new OnnxModel(session, features.map((f) => ({ ...f })), plan, output);
      await model.probe();
      return model;
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /** Positive-class probability per row of `table`, in row order. */
  async scoreTable(table: ColumnTable): Promise<Float64Array> {
    return this.score(tableSource(table));
  }

  /** Same as scoreTable, from row objects: the serving path. */
  async scoreRows(rows: FeatureRow[]): Promise<Float64Array> {
    return this.score(rowsSource(rows));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }

  private async score(source: FeatureSource): Promise<Float64Array> {
    if (this.closed) throw new Error('OnnxModel.score called after close()');
    const out = new Float64Array(source.rowCount);
    for (let start = 0; start < source.rowCount; start += CHUNK_ROWS) {
      const end = Math.min(source.rowCount, start + CHUNK_ROWS);
      await this.scoreRange(source, start, end, out);
    }
    return out;
  }

  private async scoreRange(source: FeatureSource, start: number, end: number, out: Float64Array): Promise<void> {
    const rows = end - start;
    const inputs = buildInputs(this.plan, source, start, end, this.dimsFor);
    const results = await this.session.run(toFeeds(inputs), this.fetches);
    const tensor = results[this.probabilityOutput]!;
    const { stride, column } = positiveClassLayout(this.probabilityOutput, tensor.dims, rows);
    const data = tensor.data as Float32Array | Float64Array;
    for (let j = 0; j < rows; j++) out[start + j] = data[j * stride + column]!;
  }

  /** Shapes for one-row calls are built once: the serving path then allocates only value buffers. */
  private readonly dimsFor = (rows: number, columns: number): readonly number[] => {
    if (rows !== 1) return [rows, columns];
    let dims = this.singleRowDims.get(columns);
    if (!dims) {
      dims = Object.freeze([1, columns]);
      this.singleRowDims.set(columns, dims);
    }
    return dims;
  };

  private async probe(): Promise<void> {
    try {
      await this.scoreRange(neutralRow(), 0, 1, new Float64Array(1));
    } catch (err) {
      if (err instanceof ModelLoadError) throw err;
      throw new ModelLoadError(`the model failed on a test row (0 for numeric, "" for categorical features): ${(err as Error).message}`);
    }
  }
}

function toFeeds(inputs: InputData[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of inputs) {
    // Each branch narrows the data to the typed array the Tensor constructor expects for its type.
    feeds[input.name] =
      input.type === 'string'
        ? new ort.Tensor('string', input.data as string[], input.dims)
        : input.type === 'int64'
          ? new ort.Tensor('int64', input.data as BigInt64Array, input.dims)
          : input.type === 'float64'
            ? new ort.Tensor('float64', input.data as Float64Array, input.dims)
            : new ort.Tensor('float32', input.data as Float32Array, input.dims);
  }
  return feeds;
}

/** The model without its trailing ZipMap, or null when it has none or is not parseable protobuf. */
function stripZipMapQuietly(bytes: Uint8Array): Uint8Array | null {
  try {
    return stripTrailingZipMap(bytes)?.bytes ?? null;
  } catch {
    return null; // onnxruntime parsed it, our minimal reader did not: fall back to the clear error
  }
}
