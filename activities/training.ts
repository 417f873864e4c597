/**
 * Training activity: the built-in trainer in-process or an external command, both writing
 * model.onnx + meta.json into the run's folder. Heartbeats carry progress so a hung trainer is
 * noticed within the heartbeat timeout, and cancellation reaches the child process. Failures a
 * retry would repeat are non-retryable (nonRetryableType); the rest use the workflow's retries.
 */
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ModelConfig } from '../core/config';
import { runDir } from '../core/paths';
import type { SplitManifest } from '../core/types';
import { readTable } from '../data/read';
import { trainBuiltin } from '../trainers/builtin';
import { trainExternal, TrainerError } from '../trainers/external';
import type { TrainResult } from '../trainers/types';
import { withCost } from './cost';
import type { ActivityDeps } from './deps';

export interface TrainedCandidate {
  modelPath: string;
  sha256: string;
  bytes: number;
  trainer: string;
  params: Record<string, unknown>;
  meta: Record<string, unknown>;
}

export function createTrainingActivities({ paths }: ActivityDeps) {
  return {
    async trainCandidate(input: { runId: string; config: ModelConfig; split: SplitManifest }): Promise<TrainedCandidate> {
      return withCost(paths, input.runId, 'training', () => trainOnce(input));
    },
  };

  async function trainOnce({ runId, config, split }: { runId: string; config: ModelConfig; split: SplitManifest }): Promise<TrainedCandidate> {
    const ctx = Context.current();
    const outDir = path.join(runDir(paths, runId), 'candidate');
    let result: TrainResult;
    try {
      result = await train(ctx, outDir, config, split);
    } catch (err) {
      const failure = err instanceof TrainerError && nonRetryableType(err);
      if (failure) throw ApplicationFailure.nonRetryable(err.message, failure);
      throw err;
    }
    return {
      modelPath: result.modelPath,
      sha256: result.sha256,
      bytes: result.bytes,
      trainer: String(result.meta.trainer ?? config.trainer.kind),
      params: (result.meta.params as Record<string, unknown>) ?? {},
      meta: result.meta as unknown as Record<string, unknown>,
    };
  }
}

/** Either kind of trainer writes model.onnx and meta.json into `outDir`; heartbeats carry progress. */
async function train(ctx: Context, outDir: string, config: ModelConfig, split: SplitManifest): Promise<TrainResult> {
  if (config.trainer.kind === 'builtin-logistic') {
    ctx.heartbeat({ step: 'reading training data' });
    const trainSplit = await readTable(split.train.path, { features: config.features, label: config.label });
    const validSplit = await readTable(split.valid.path, { features: config.features, label: config.label });
    const { l2, max_iter, tol } = config.trainer.params;
    return trainBuiltin({
      train: trainSplit.table,
      trainLabels: trainSplit.labels!,
      valid: validSplit.table,
      validLabels: validSplit.labels!,
      features: config.features,
      params: { l2, maxIter: max_iter, tol },
      outDir,
      onProgress: (progress) => ctx.heartbeat(progress),
    });
  }
  return trainExternal({
    command: config.trainer.command,
    cwd: config.trainer.cwd,
    trainPath: split.train.path,
    validPath: split.valid.path,
    outDir,
    features: config.features,
    label: config.label,
    params: config.trainer.params,
    timeoutMs: config.trainer.timeoutMs,
    onHeartbeat: (info) => ctx.heartbeat(info),
    signal: ctx.cancellationSignal,
  });
}

/**
 * Trainer failures that a retry would only repeat end the run at once, with the trainer's own
 * message: bad input or parameters, a command that cannot be started (not found, not executable),
 * a trainer over its time limit (a retry would hold the machine for that long again), an
 * unusable model. A non-zero exit may be transient (out of memory, a flaky mount) and is retried
 * like a lost worker.
 */
export function nonRetryableType(err: TrainerError): string | null {
  switch (err.kind) {
    case 'invalid_input':
      return 'InvalidTrainerInput';
    case 'invalid_output':
      return 'InvalidTrainerOutput';
    case 'timeout':
      return 'TrainerTimeout';
    case 'spawn':
      return ['ENOENT', 'EACCES', 'ENOTDIR'].includes(err.details.spawnCode ?? '') ? 'TrainerNotStartable' : null;
    case 'exit':
    case 'aborted':
      return null;
  }
}
