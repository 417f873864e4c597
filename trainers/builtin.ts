/**
 * The built-in trainer: fits logistic regression in-process, exports it to ONNX with the
 * preprocessing in the graph, proves the graph against the trainer's own math on the validation
 * rows, and writes outDir/model.onnx + outDir/meta.json.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ColumnTable, FeatureSpec } from '../core/types';
import { OnnxModel } from '../scoring/onnx-model';
import { writeFileAtomic } from './atomic-file';
import { TrainerError } from './errors';
import { fitLogistic, predictLogistic, type LogisticParams } from './logistic';
import { logisticToOnnx } from './onnx-export';
import type { TrainerMeta, TrainProgress, TrainResult } from './types';

export const BUILTIN_TRAINER = 'builtin-logistic';

/**
 * Largest difference between onnxruntime's scores and the trainer's float64 math that is still
 * float32 rounding (observed ~3e-7); anything above means the exported graph is wrong.
 */
const MAX_ONNX_DEVIATION = 1e-4;

export interface BuiltinTrainInput {
  train: ColumnTable;
  trainLabels: Float64Array;
  valid: ColumnTable;
  validLabels: Float64Array;
  features: FeatureSpec[];
  params?: Partial<LogisticParams>;
  outDir: string;
  onProgress?: (progress: TrainProgress) => void;
  /** Recorded as the ONNX producer_version; defaults to "0". */
  producerVersion?: string;
}

/** Mean log loss with probabilities clipped away from 0 and 1, as scikit-learn does. */
function meanLogLoss(probabilities: Float64Array, labels: Float64Array): number {
  const eps = 1e-15;
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i]!));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / labels.length;
}

export async function trainBuiltin(input: BuiltinTrainInput): Promise<TrainResult> {
  const { train, trainLabels, valid, validLabels, features, outDir, onProgress } = input;
  if (validLabels.length !== valid.rowCount) {
    throw new TrainerError('invalid_input', `validLabels has ${validLabels.length} values but the validation table has ${valid.rowCount} rows`);
  }
  const started = performance.now();
  onProgress?.({ stage: 'preprocessing' });
  const model = fitLogistic(train, trainLabels, features, input.params ?? {}, (info) => onProgress?.({ stage: 'fitting', ...info }));

  onProgress?.({ stage: 'exporting' });
  const bytes = logisticToOnnx(model, { modelName: BUILTIN_TRAINER, producerVersion: input.producerVersion ?? '0' });

  onProgress?.({ stage: 'validating' });
  const onnxModel = await OnnxModel.load(bytes, features);
  let validScores: Float64Array;
  try {
    validScores = await onnxModel.scoreTable(valid);
  } finally {
    await onnxModel.close();
  }
  const reference = predictLogistic(model, valid);
  let deviation = 0;
  for (let i = 0; i < reference.length; i++) deviation = Math.max(deviation, Math.abs(validScores[i]! - reference[i]!));
  if (!(deviation <= MAX_ONNX_DEVIATION)) {
    throw new TrainerError(
      'invalid_output',
      `the exported ONNX graph disagrees with the trainer by ${deviation} on the validation rows (allowed ${MAX_ONNX_DEVIATION}). ` +
        `The graph takes float32 inputs: a feature with a huge offset relative to its spread (a raw timestamp, an id) loses ` +
        `precision there; centre or drop such features`,
    );
  }

  const meta: TrainerMeta = {
    trainer: BUILTIN_TRAINER,
    params: { ...model.params },
    features: model.features,
    train_rows: train.rowCount,
    valid_rows: valid.rowCount,
    ...(valid.rowCount > 0 ? { valid_log_loss: meanLogLoss(validScores, validLabels) } : {}),
    train_log_loss: model.training.logLoss,
    iterations: model.training.iterations,
    converged: model.training.converged,
    gradient_max: model.training.gradientMax,
    onnx_max_deviation: deviation,
    intercept: model.intercept,
    coefficients: Object.fromEntries(model.columns.map((name, j) => [name, model.weights[j]!])),
    train_seconds: (performance.now() - started) / 1000,
  };

  onProgress?.({ stage: 'writing' });
  await mkdir(outDir, { recursive: true });
  const modelPath = path.resolve(outDir, 'model.onnx');
  const metaPath = path.resolve(outDir, 'meta.json');
  await writeFileAtomic(modelPath, bytes);
  await writeFileAtomic(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
  return { modelPath, metaPath, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, meta };
}
