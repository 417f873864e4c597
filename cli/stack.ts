/**
 * The embedded stack on one machine: a Temporal dev server (unless TEMPORAL_ADDRESS points at
 * one), the pipeline worker and the serving worker. `ratchet dev` keeps it up; the demo uses it.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import type { RatchetPaths } from '../core/paths';
import { predictionLogLocation } from '../data/prediction-log-format';
import { openRegistry } from '../registry/open';
import { CliError } from './errors';
import { startDevServer, type DevServer } from '../workers/dev-server';
import { createPipelineWorker } from '../workers/pipeline/worker';
import { startServingWorker } from '../workers/serving/main';
import { temporalTarget } from '../workers/temporal-connection';

export interface Stack {
  address: string;
  namespace: string;
  uiUrl: string | null;
  servingUrl: string | null;
  stop(): Promise<void>;
}

export interface StackOptions {
  paths: RatchetPaths;
  serving?: { port: number; host?: string } | false;
  log?: (line: string) => void;
}

let runtimeInstalled = false;
/** The SDK logs every worker event at INFO; a CLI wants warnings only. Must precede any worker. */
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger((process.env.RATCHET_TEMPORAL_LOG as 'WARN' | undefined) ?? 'WARN') });
}

export async function startStack({ paths, serving = { port: 8080 }, log = () => {} }: StackOptions): Promise<Stack> {
  quietTemporalRuntime();
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const target = temporalTarget();
    let server: DevServer | null = null;
    if (!process.env.TEMPORAL_ADDRESS) {
      log(`starting the Temporal dev server (SQLite in ${path.relative(process.cwd(), paths.temporal) || paths.temporal})...`);
      server = await startDevServer({ dbFile: path.join(paths.temporal, 'dev.db'), logFile: path.join(paths.logs, 'temporal.log') });
      stops.push(() => server!.stop());
      log(`Temporal at ${server.address}, Web UI ${server.uiUrl}`);
    }
    const address = server?.address ?? target.address;

    const connection = await NativeConnection.connect({ address });
    stops.push(() => connection.close());
    const store = openRegistry(paths);
    const worker: Worker = await createPipelineWorker({ connection, namespace: target.namespace, deps: { paths, store } });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
    });
    log('pipeline worker running');

    let servingUrl: string | null = null;
    if (serving) {
      // The terminal belongs to the CLI: the serving worker's JSON log goes to a file.
      await mkdir(paths.logs, { recursive: true });
      const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination({ dest: path.join(paths.logs, 'serving.log'), sync: false }));
      const host = serving.host ?? '127.0.0.1';
      const serve = await startServingWorker({
        registryRoot: paths.registry,
        store,
        host,
        port: serving.port,
        pollIntervalMs: 500,
        logger: logger as unknown as FastifyBaseLogger,
        // The pipeline worker's live analysis reads the log where this worker writes it.
        predictionLog: predictionLogLocation(paths),
        // Announced in the serving directory, so `ratchet rollback` can confirm this worker.
        publicUrl: process.env.RATCHET_SERVING_URL || `http://${host}:${serving.port}`,
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') throw new CliError(`port ${serving.port} is in use (another ratchet dev or demo?): stop it or pass --port N`);
        throw err;
      });
      stops.push(() => serve.close());
      servingUrl = serve.url;
      log(`serving worker at ${servingUrl}`);
    }
    return { address, namespace: target.namespace, uiUrl: server?.uiUrl ?? null, servingUrl, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
