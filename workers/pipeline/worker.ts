/**
 * The pipeline worker: runs Ratchet's workflows and activities on one task queue. Workers are
 * stateless and scale horizontally; Temporal hands out the work.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Worker, type ActivityInterceptorsFactory, type WorkflowBundleOption, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { PIPELINE_TASK_QUEUE } from '../../workflows/definitions';
import { autoHeartbeat } from './auto-heartbeat';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Webpack-bundling the workflows takes seconds: do it once per process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

export interface PipelineWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  deps: ActivityDeps;
  /** How long in-flight activities may finish after SIGTERM before they are cancelled. */
  shutdownGraceTime?: string | number;
  /** After the grace time, how long cancelled activities get before run() gives up on them. */
  shutdownForceTime?: string | number;
  identity?: string;
  /**
   * How long a workflow task waits for this worker's sticky queue before any worker may take it:
   * after a crash, the crashed worker's runs pause this long. Default: the SDK's 10 s.
   */
  stickyQueueScheduleToStartTimeout?: string | number;
  /** More activity interceptors (logging, metrics) from the process hosting the worker. */
  activityInterceptors?: ActivityInterceptorsFactory[];
  /** A prebuilt bundle (bundleWorkflowCode, or { codePath }); default: bundled once per process. */
  workflowBundle?: WorkflowBundleOption;
}

export async function createPipelineWorker(options: PipelineWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? PIPELINE_TASK_QUEUE,
    workflowBundle: options.workflowBundle ?? (await workflowBundle()),
    activities: createActivities(options.deps),
    interceptors: { activity: [autoHeartbeat, ...(options.activityInterceptors ?? [])] },
    shutdownGraceTime: options.shutdownGraceTime ?? '30s',
    ...(options.shutdownForceTime !== undefined ? { shutdownForceTime: options.shutdownForceTime } : {}),
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.stickyQueueScheduleToStartTimeout !== undefined ? { stickyQueueScheduleToStartTimeout: options.stickyQueueScheduleToStartTimeout } : {}),
    // Training and evaluation are CPU-bound: on small machines, more than two at once only thrash.
    maxConcurrentActivityTaskExecutions: 4,
  });
}

const quietBundlerLogger = {
  trace() {},
  debug() {},
  info() {},
  warn(message: string, meta?: unknown) {
    process.stderr.write(`[bundler] ${message} ${meta ? JSON.stringify(meta) : ''}\n`);
  },
  error(message: string, meta?: unknown) {
    process.stderr.write(`[bundler] ${message} ${meta ? JSON.stringify(meta) : ''}\n`);
  },
  log() {},
};
