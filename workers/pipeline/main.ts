/**
 * The pipeline worker process (`ratchet worker`): JSON logs, Prometheus metrics, the worker, and a
 * graceful stop.
 *
 * Environment:
 *   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE   the Temporal server (default 127.0.0.1:7233, default)
 *   RATCHET_HOME                           state folder: snapshots, splits, runs (default ./.ratchet)
 *   RATCHET_REGISTRY                       registry directory or postgres:// URL (RATCHET_REGISTRY_SCHEMA)
 *   RATCHET_PREDICTION_LOG                 where live analysis reads the serving logs
 *   RATCHET_METRICS_PORT                   /metrics and /healthz of this process (default 9464)
 *   RATCHET_SDK_METRICS_PORT               the Temporal SDK's own Prometheus metrics (default 9465)
 *   RATCHET_SHUTDOWN_GRACE                 how long in-flight activities may finish on SIGTERM (default 30s)
 *   LOG_LEVEL                              trace, debug, info (default), warn, error
 *
 * SIGTERM/SIGINT: the worker stops polling, in-flight activities get the grace time to finish;
 * those still running are then cancelled and their attempts fail back to the server, which retries
 * them on another worker. Workflow tasks need no draining: their state lives in Temporal. Then the
 * metrics server and the connections close and the process exits 0.
 */
import os from 'node:os';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { parseDuration } from '../../core/config';
import { ratchetPaths } from '../../core/paths';
import { openRegistry } from '../../registry/open';
import type { RegistryStore } from '../../registry/store';
import { activityLoggingInterceptor, coreLogLevel, createLogger, logLevel, PinoTemporalLogger } from '../logging';
import { temporalTarget } from '../temporal-connection';
import { PipelineMetrics, startMetricsServer } from './metrics';
import { createPipelineWorker } from './worker';

export const DEFAULT_METRICS_PORT = 9464;
export const DEFAULT_SDK_METRICS_PORT = 9465;
export const DEFAULT_SHUTDOWN_GRACE = '30s';
/** After the grace time, cancelled activities get this long to wind down before the process gives up on them. */
const FORCE_AFTER_GRACE_MS = 10_000;
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface PipelineWorkerProcessOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides RATCHET_SHUTDOWN_GRACE, e.g. "45s". */
  shutdownGrace?: string;
}

/** Runs until SIGTERM/SIGINT, then drains and resolves with the exit code. */
export async function runPipelineWorkerProcess(options: PipelineWorkerProcessOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const settings = readSettings(env, options.shutdownGrace);
  const logger = createLogger({ name: 'ratchet-pipeline-worker', env });
  const target = temporalTarget(env);

  // Before anything touches Temporal: the Runtime is created once per process with these options.
  // Signals are ours, not the Runtime's, so a SIGTERM during start-up is handled too.
  Runtime.install({
    logger: new PinoTemporalLogger(logger),
    shutdownSignals: [],
    telemetryOptions: {
      logging: { filter: { core: coreLogLevel(logLevel(env)), other: 'ERROR' }, forward: {} },
      metrics: { prometheus: { bindAddress: `0.0.0.0:${settings.sdkMetricsPort}` } },
    },
  });

  let worker: Worker | null = null;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'already stopping: waiting for in-flight activities (send SIGKILL to abandon them)');
      return;
    }
    stopping = true;
    logger.info({ signal, graceMs: settings.graceMs }, 'stopping: no new tasks, in-flight activities may finish');
    if (worker?.getState() === 'RUNNING') worker.shutdown();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);

  const metrics = new PipelineMetrics();
  const server = await startMetricsServer({ metrics, port: settings.metricsPort, healthy: () => worker?.getState() === 'RUNNING' }).catch((err: NodeJS.ErrnoException) => {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    throw err.code === 'EADDRINUSE' ? new SettingsError(`port ${settings.metricsPort} is in use; set RATCHET_METRICS_PORT to a free port`) : err;
  });
  logger.info({ port: server.port, sdkPort: settings.sdkMetricsPort }, 'metrics at /metrics, health at /healthz');

  let connection: NativeConnection | null = null;
  let store: RegistryStore | null = null;
  let code = 0;
  try {
    connection = await NativeConnection.connect({ address: target.address });
    const paths = ratchetPaths(env.RATCHET_HOME);
    store = openRegistry(paths, env);
    worker = await createPipelineWorker({
      connection,
      namespace: target.namespace,
      deps: { paths, store },
      shutdownGraceTime: settings.graceMs,
      shutdownForceTime: settings.graceMs + FORCE_AFTER_GRACE_MS,
      identity: `ratchet-worker-${process.pid}@${os.hostname()}`,
      activityInterceptors: [activityLoggingInterceptor, metrics.interceptor],
    });
    logger.info({ address: target.address, namespace: target.namespace, taskQueue: worker.options.taskQueue, identity: worker.options.identity }, 'pipeline worker polling');
    metrics.workerRunning.set(1);
    const running = worker.run();
    // A signal that arrived while the worker was being created could not stop it: do it now.
    if (stopping) worker.shutdown();
    await running;
    logger.info('pipeline worker stopped');
  } catch (err) {
    logger.error({ err }, 'pipeline worker failed');
    code = 1;
  } finally {
    metrics.workerRunning.set(0);
    await server.close().catch((err: Error) => logger.warn({ err }, 'closing the metrics server failed'));
    await connection?.close().catch((err: Error) => logger.warn({ err }, 'closing the Temporal connection failed'));
    if (store && 'close' in store && typeof store.close === 'function') await (store.close as () => Promise<void>)().catch(() => {});
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    logger.flush();
  }
  return code;
}

interface Settings {
  metricsPort: number;
  sdkMetricsPort: number;
  graceMs: number;
}

/** Every setting checked before anything starts, each error naming the variable and the fix. */
export function readSettings(env: NodeJS.ProcessEnv, shutdownGrace?: string): Settings {
  const port = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new SettingsError(`${name}="${raw}" is not a port; use a number from 1 to 65535`);
    return n;
  };
  const graceText = shutdownGrace ?? (env.RATCHET_SHUTDOWN_GRACE || DEFAULT_SHUTDOWN_GRACE);
  let graceMs: number;
  try {
    graceMs = parseDuration(graceText);
  } catch {
    throw new SettingsError(`shutdown grace "${graceText}" is not a duration; use e.g. "30s" or "2m" (RATCHET_SHUTDOWN_GRACE or --shutdown-grace)`);
  }
  try {
    logLevel(env);
  } catch (err) {
    throw new SettingsError((err as Error).message);
  }
  const metricsPort = port('RATCHET_METRICS_PORT', DEFAULT_METRICS_PORT);
  const sdkMetricsPort = port('RATCHET_SDK_METRICS_PORT', DEFAULT_SDK_METRICS_PORT);
  if (metricsPort === sdkMetricsPort) throw new SettingsError(`RATCHET_METRICS_PORT and RATCHET_SDK_METRICS_PORT are both ${metricsPort}; give the SDK's metrics another port`);
  return { metricsPort, sdkMetricsPort, graceMs };
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}
