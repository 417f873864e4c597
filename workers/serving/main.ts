/**
 * The serving worker process: a filesystem registry, the HTTP app, and a graceful stop.
 *
 * As a process entry:
 *   node --import tsx workers/serving/main.ts --registry .ratchet/registry --port 8080 [--host 127.0.0.1]
 *        [--models a,b] [--poll-ms 1000]
 * API keys come from RATCHET_API_KEYS (comma-separated), never from arguments, which `ps` shows.
 * SIGTERM/SIGINT: stop accepting, finish in-flight requests, close sessions, exit.
 */
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { FsRegistryStore } from '../../registry/fs-store';
import { buildServingApp } from './app';

export interface ServingWorkerOptions {
  registryRoot: string;
  host?: string;
  port?: number;
  models?: string[];
  pollIntervalMs?: number;
  apiKeys?: string[];
  /** Default: pino to stdout at LOG_LEVEL (info), with credentials redacted. false: silent. */
  logger?: FastifyBaseLogger | false;
}

export interface ServingWorker {
  url: string;
  close(): Promise<void>;
}

export async function startServingWorker(options: ServingWorkerOptions): Promise<ServingWorker> {
  const logger = options.logger === undefined ? defaultLogger() : options.logger || undefined;
  const serving = await buildServingApp({
    store: new FsRegistryStore(options.registryRoot),
    models: options.models,
    pollIntervalMs: options.pollIntervalMs,
    apiKeys: options.apiKeys,
    logger,
  });
  try {
    await serving.app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  } catch (error) {
    await serving.close();
    throw error;
  }
  const address = serving.app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, close: serving.close };
}

function defaultLogger(): FastifyBaseLogger {
  return pino({
    level: process.env.LOG_LEVEL ?? 'info',
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]'],
  }) as unknown as FastifyBaseLogger;
}

/** Command-line and environment parsing, kept apart from the worker so it can be read at a glance. */
export function optionsFromArgs(argv: string[], env: NodeJS.ProcessEnv): ServingWorkerOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      registry: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      models: { type: 'string' },
      'poll-ms': { type: 'string' },
    },
  });
  const registryRoot = values.registry ?? env.RATCHET_REGISTRY;
  if (!registryRoot) throw new Error('no registry: pass --registry <dir> or set RATCHET_REGISTRY');
  const port = Number(values.port ?? env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port}: use a port number from 0 to 65535`);
  const pollIntervalMs = values['poll-ms'] === undefined ? undefined : Number(values['poll-ms']);
  if (pollIntervalMs !== undefined && !(pollIntervalMs > 0)) throw new Error(`--poll-ms ${values['poll-ms']}: use a positive number of milliseconds`);
  const list = (text: string | undefined) => text?.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    registryRoot,
    host: values.host ?? env.HOST ?? '127.0.0.1',
    port,
    models: list(values.models),
    pollIntervalMs,
    apiKeys: list(env.RATCHET_API_KEYS),
  };
}

const DRAIN_LIMIT_MS = 15_000;

async function runAsProcess(): Promise<void> {
  const worker = await startServingWorker(optionsFromArgs(process.argv.slice(2), process.env));
  process.stderr.write(`serving worker at ${worker.url}\n`);
  const stop = (signal: string) => {
    process.stderr.write(`${signal}: draining\n`);
    // A request that never finishes must not keep the process from stopping.
    setTimeout(() => process.exit(1), DRAIN_LIMIT_MS).unref();
    worker.close().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`error while stopping: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runAsProcess().catch((error) => {
    process.stderr.write(`serving worker failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
