/**
 * Records the trainers hand back. JSON-serialisable: TrainResult crosses the Temporal activity
 * boundary and TrainerMeta is written to meta.json next to model.onnx.
 */
import type { FeatureSpec } from '../core/types';

/**
 * What a trainer says about the model it wrote (meta.json). The built-in trainer fills every
 * field; an external trainer must write `trainer` and may add anything else (extra keys are kept).
 * `features` is always the declared feature list the model was checked against.
 */
export interface TrainerMeta {
  trainer: string;
  params: Record<string, unknown>;
  features: FeatureSpec[];
  train_rows?: number;
  valid_rows?: number;
  valid_log_loss?: number;
  valid_auc?: number;
  iterations?: number;
  converged?: boolean;
  train_seconds?: number;
  [extra: string]: unknown;
}

export interface TrainResult {
  modelPath: string; // absolute path of model.onnx
  metaPath: string; // absolute path of meta.json
  sha256: string; // hex digest of model.onnx
  bytes: number; // size of model.onnx
  meta: TrainerMeta;
}

/** Progress the built-in trainer reports (the training activity forwards it as heartbeat details). */
export interface TrainProgress {
  stage: 'preprocessing' | 'fitting' | 'exporting' | 'validating' | 'writing';
  iteration?: number;
  loss?: number;
  gradientMax?: number;
}
