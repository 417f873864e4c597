/**
 * Training activity: the built-in trainer in-process or an external command, both writing
 * model.onnx + meta.json into the run's folder. Heartbeats carry progress so a hung trainer is
 * noticed within the heartbeat timeout, and cancellation reaches the child process.
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
    if (config.trainer.kind === 'builtin-logistic') {
      ctx.heartbeat({ step: 'reading training data' });
      const train = await readTable(split.train.path, { features: config.features, label: config.label });
      const valid = await readTable(split.valid.path, { features: config.features, label: config.label });
      const { l2, max_iter, tol } = config.trainer.params;
      result = await trainBuiltin({
        train: train.table,
        trainLabels: train.labels!,
        valid: valid.table,
        validLabels: valid.labels!,
        features: config.features,
        params: { l2, maxIter: max_iter, tol },
        outDir,
        onProgress: (progress) => ctx.heartbeat(progress),
      });
    } else {
      try {
        result = await trainExternal({
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
      } catch (err) {
        // A trainer that ran to the end but wrote an unusable model will do so again: do not retry.
        if (err instanceof TrainerError && err.kind === 'invalid_output') {
          throw ApplicationFailure.nonRetryable(err.message, 'InvalidTrainerOutput');
        }
        throw err;
      }
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
