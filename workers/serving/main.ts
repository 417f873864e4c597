/**
 * The serving worker process: a registry (directory or PostgreSQL), the HTTP app, the prediction
 * log, the announcement to the serving directory, and a graceful stop.
 *
 * As a process entry:
 *   node --import tsx workers/serving/main.ts --registry .ratchet/registry --port 8080 [--host 127.0.0.1]
 *        [--models a,b] [--poll-ms 1000] [--log DIR|postgres://…|off] [--log-flush-ms 1000]
 *        [--public-url http://10.0.0.5:8080] [--worker-id ID] [--batching on|off] [--batch-wait-us N]
 * API keys come from RATCHET_API_KEYS (comma-separated), never from arguments, which `ps` shows.
 *
 * Environment (an option or flag wins over it):
 *   RATCHET_REGISTRY        registry directory or postgres:// URL (RATCHET_REGISTRY_SCHEMA: its schema)
 *   RATCHET_PREDICTION_LOG  log directory, postgres:// URL (RATCHET_PREDICTION_LOG_SCHEMA) or "off";
 *                           default <RATCHET_HOME>/logs/predictions
 *   RATCHET_SERVING_URL     the URL other machines reach this worker at: when set, the worker
 *                           announces itself in the registry's serving directory now and every 10 s
 *   RATCHET_SERVING_ID      its id there and in log file names (default: from the URL, or host-pid)
 *   RATCHET_RATE_LIMIT      per-client limit on the /v1 routes, e.g. "50/s" or "3000/m:100" (burst); default none
 *
 * SIGTERM/SIGINT: stop accepting, finish in-flight requests, score queued shadow rows, flush the
 * prediction log, close sessions, exit 0 (1 if log rows could not be written).
 */
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { ratchetPaths } from '../../core/paths';
import { POSTGRES_URL, predictionLogLocation, type LogLocation } from '../../data/prediction-log-format';
import { FsRegistryStore } from '../../registry/fs-store';
import { PgRegistryStore } from '../../registry/pg-store';
import type { RegistryStore } from '../../registry/store';
import { buildServingApp } from './app';
import type { MicroBatchOptions } from './micro-batcher';
import { defaultWorkerId } from './prediction-log';
import { parseRateLimit, type RateLimitOptions } from './rate-limit';

export interface ServingWorkerOptions {
  /** Registry directory or postgres:// URL; ignored when `store` is given. */
  registryRoot: string;
  /** A registry the caller owns (and closes). */
  store?: RegistryStore;
  host?: string;
  port?: number;
  models?: string[];
  pollIntervalMs?: number;
  apiKeys?: string[];
  /** Default: pino to stdout at LOG_LEVEL (info), with credentials redacted. false: silent. */
  logger?: FastifyBaseLogger | false;
  /** Where predictions and feedback are logged. Default: RATCHET_PREDICTION_LOG, else <RATCHET_HOME>/logs/predictions. */
  predictionLog?: LogLocation | 'off';
  /** Default 1000 ms: the most a hard kill can lose. */
  logFlushIntervalMs?: number;
  /** Announced in the serving directory when set. Default: RATCHET_SERVING_URL. */
  publicUrl?: string;
  /** Default: RATCHET_SERVING_ID, else derived from publicUrl, else host name and pid. */
  workerId?: string;
  /** Default 10 s. */
  announceIntervalMs?: number;
  /** Micro-batching of single-row requests; default: the app's DEFAULT_BATCHING. */
  batching?: MicroBatchOptions | false;
  /** Per-client rate limit (rate-limit.ts). Default: RATCHET_RATE_LIMIT, else none. */
  rateLimit?: RateLimitOptions | false;
}

export interface ServingWorker {
  url: string;
  workerId: string;
  close(): Promise<void>;
}

const ANNOUNCE_INTERVAL_MS = 10_000;

export async function startServingWorker(options: ServingWorkerOptions, env: NodeJS.ProcessEnv = process.env): Promise<ServingWorker> {
  const logger = options.logger === undefined ? defaultLogger() : options.logger || undefined;
  const publicUrl = options.publicUrl ?? (env.RATCHET_SERVING_URL || undefined);
  const workerId = options.workerId ?? (env.RATCHET_SERVING_ID || (publicUrl ? workerIdFromUrl(publicUrl) : defaultWorkerId()));
  const location = options.predictionLog ?? predictionLogLocation(ratchetPaths(env.RATCHET_HOME), env);
  const owned = options.store ? null : openStore(options.registryRoot, env);
  const store = options.store ?? owned!;

  let serving: Awaited<ReturnType<typeof buildServingApp>>;
  try {
    serving = await buildServingApp({
      store,
      models: options.models,
      pollIntervalMs: options.pollIntervalMs,
      apiKeys: options.apiKeys,
      logger,
      log: location === 'off' ? undefined : { location, workerId, flushIntervalMs: options.logFlushIntervalMs },
      batching: options.batching,
      rateLimit: options.rateLimit ?? (env.RATCHET_RATE_LIMIT ? parseRateLimit(env.RATCHET_RATE_LIMIT) : false),
    });
  } catch (error) {
    await owned?.close?.();
    throw error;
  }
  const stop = async () => {
    try {
      await serving.close();
    } finally {
      await owned?.close?.();
    }
  };
  try {
    await serving.app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  } catch (error) {
    await stop();
    throw error;
  }
  const address = serving.app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  serving.app.log.info({ workerId, predictionLog: serving.log?.where ?? 'off', publicUrl: publicUrl ?? null }, 'serving worker started');

  let announcer: NodeJS.Timeout | null = null;
  let announcing: Promise<void> = Promise.resolve();
  if (publicUrl) {
    // Served models: the fixed list, or [] for "whatever the registry holds" (new models included).
    const announce = () =>
      (announcing = store
        .announceServingWorker({ id: workerId, url: publicUrl, models: options.models ?? [], at: new Date().toISOString() })
        .catch((error: Error) => serving.app.log.warn({ err: error }, 'could not announce this worker in the serving directory; retrying')));
    await announce();
    announcer = setInterval(announce, options.announceIntervalMs ?? ANNOUNCE_INTERVAL_MS).unref();
  }
  return {
    url: `http://${host}:${address.port}`,
    workerId,
    close: async () => {
      if (announcer) clearInterval(announcer);
      await announcing; // no announcement lands after close
      await stop();
    },
  };
}

function openStore(location: string, env: NodeJS.ProcessEnv): RegistryStore & { close?(): Promise<void> } {
  if (POSTGRES_URL.test(location)) return new PgRegistryStore({ connectionString: location, schema: env.RATCHET_REGISTRY_SCHEMA || undefined });
  return new FsRegistryStore(location);
}

/** "http://10.0.0.5:8080" → "10.0.0.5_8080": stable across restarts, unique per reachable address. */
export function workerIdFromUrl(url: string): string {
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    throw new Error(`serving URL ${JSON.stringify(url)} is not a URL: use the base URL other machines reach this worker at, e.g. http://10.0.0.5:8080`);
  }
  return host.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '') || 'worker';
}

function defaultLogger(): FastifyBaseLogger {
  return pino({
    level: process.env.LOG_LEVEL ?? 'info',
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]'],
  }) as unknown as FastifyBaseLogger;
}

/**
 * Command-line and environment parsing, kept apart from the worker so it can be read at a glance.
 * Only what the command line says is returned; startServingWorker fills the rest from the environment.
 */
export function optionsFromArgs(argv: string[], env: NodeJS.ProcessEnv): ServingWorkerOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      registry: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      models: { type: 'string' },
      'poll-ms': { type: 'string' },
      log: { type: 'string' },
      'log-flush-ms': { type: 'string' },
      'public-url': { type: 'string' },
      'worker-id': { type: 'string' },
      batching: { type: 'string' },
      'batch-wait-us': { type: 'string' },
    },
  });
  const registryRoot = values.registry ?? env.RATCHET_REGISTRY;
  if (!registryRoot) throw new Error('no registry: pass --registry <dir> or set RATCHET_REGISTRY');
  const port = Number(values.port ?? env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port}: use a port number from 0 to 65535`);
  const positive = (flag: string, text: string | undefined, allowZero = false) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!(allowZero ? n >= 0 : n > 0) || !Number.isFinite(n)) throw new Error(`--${flag} ${text}: use a ${allowZero ? 'non-negative' : 'positive'} number`);
    return n;
  };
  const list = (text: string | undefined) => text?.split(',').map((s) => s.trim()).filter(Boolean);
  if (values.batching !== undefined && values.batching !== 'on' && values.batching !== 'off') {
    throw new Error(`--batching ${values.batching}: use on or off`);
  }
  const waitUs = positive('batch-wait-us', values['batch-wait-us'], true);
  const options: ServingWorkerOptions = {
    registryRoot,
    host: values.host ?? env.HOST ?? '127.0.0.1',
    port,
    models: list(values.models),
    pollIntervalMs: positive('poll-ms', values['poll-ms']),
    apiKeys: list(env.RATCHET_API_KEYS),
    predictionLog: values.log === undefined ? undefined : predictionLogLocation(ratchetPaths(env.RATCHET_HOME), { ...env, RATCHET_PREDICTION_LOG: values.log }),
    logFlushIntervalMs: positive('log-flush-ms', values['log-flush-ms']),
    publicUrl: values['public-url'],
    workerId: values['worker-id'],
    batching: values.batching === undefined ? undefined : values.batching === 'on' ? { maxWaitUs: waitUs } : false,
  };
  // Absent stays absent, so the defaults (and the environment) apply.
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as unknown as ServingWorkerOptions;
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
