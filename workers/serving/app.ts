/**
 * The serving worker's HTTP app: predict, feedback, health, readiness and metrics over a ModelPool
 * that follows the registry's routing, with the prediction log (prediction-log.ts) behind predict,
 * shadow scoring and feedback. Built without listening, so tests and main.ts share it.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { RegistryStore } from '../../registry/store';
import { compileApiKeyCheck, presentedKey } from './api-keys';
import { registerFeedbackRoute } from './feedback-route';
import { toHttpError } from './http-errors';
import { ServingMetrics } from './metrics';
import type { MicroBatchOptions } from './micro-batcher';
import { ModelPool } from './model-pool';
import { registerPredictRoute } from './predict-route';
import { openServingLog, type ServingLog, type ServingLogOptions } from './prediction-log';
import { RateLimiter, rateLimitHook, type RateLimitOptions } from './rate-limit';
import { MAX_INSTANCES } from './request-validation';
import { ShadowScorer } from './shadow';

export interface ServingAppOptions {
  store: RegistryStore;
  /** Models to serve; default: every model in the registry. */
  models?: string[];
  /** How often routing is re-read. Default 1000 ms. */
  pollIntervalMs?: number;
  /** A pino logger (Fastify's loggerInstance); silent when absent. */
  logger?: FastifyBaseLogger;
  /** When non-empty, predict requires one of these keys. */
  apiKeys?: string[];
  now?: () => Date;
  /** A version that failed to load is retried after this long. Default 30 s. */
  retryFailedLoadMs?: number;
  /** onnxruntime threads per session. Default 1. */
  intraOpNumThreads?: number;
  /** Rows the shadow queue holds before dropping. Default 10,000. */
  shadowQueueRows?: number;
  /**
   * The prediction and feedback log, opened by the app and flushed and closed by close().
   * Absent: nothing is logged and feedback is refused (503).
   */
  log?: Omit<ServingLogOptions, 'events'>;
  /** Micro-batching of concurrent single-row requests; false: off. Default DEFAULT_BATCHING. */
  batching?: MicroBatchOptions | false;
  /** Per-client token bucket on the /v1 routes (rate-limit.ts); absent or false: no limit. */
  rateLimit?: RateLimitOptions | false;
}

/**
 * Micro-batching is on by default, decided by bench/serving.ts on a 2-core machine: a lone request
 * waits one loop turn, which onnxruntime-node's run waits anyway, so concurrency 1 pays nothing
 * measurable; under concurrency a batch stays open while requests keep arriving (up to 8 turns or
 * 64 rows), which took throughput to 1.3-2.3× one call per request at 8-64 connections
 * (onnxruntime-node's fixed cost per call dominates a row's).
 */
export const DEFAULT_BATCHING: MicroBatchOptions | false = { maxRows: 64, maxTurns: 8, maxWaitUs: 0 };

export interface ServingApp {
  app: FastifyInstance;
  pool: ModelPool;
  metrics: ServingMetrics;
  /** null when the app was built without a log. */
  log: ServingLog | null;
  /**
   * Stops accepting requests, lets in-flight ones finish, drains shadow work, flushes the log
   * (everything acknowledged is then written), closes sessions. Rejects if log rows were lost.
   */
  close(): Promise<void>;
}

// Room for MAX_INSTANCES rows of a wide model; anything larger is refused with a clear 413.
const BODY_LIMIT = MAX_INSTANCES * 4096;

export async function buildServingApp(options: ServingAppOptions): Promise<ServingApp> {
  const metrics = new ServingMetrics();
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // One log line per prediction would cost more than the prediction; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    // URLs Fastify refuses before routing (bad percent-encoding, an over-long name) get our error shape too.
    frameworkErrors: (error, _request, reply) => {
      const http = toHttpError(error);
      void (reply as unknown as FastifyReply).code(http.status).send(http.body());
    },
  });
  const pool = new ModelPool({
    store: options.store,
    metrics,
    models: options.models,
    pollIntervalMs: options.pollIntervalMs,
    retryFailedLoadMs: options.retryFailedLoadMs,
    intraOpNumThreads: options.intraOpNumThreads,
    batching: (options.batching ?? DEFAULT_BATCHING) || null,
    now: options.now,
    logger: app.log,
  });
  let log: ServingLog | null = null;
  let shadow: ShadowScorer;
  try {
    // First: it checks its log's worker id, and holds nothing until the first shadow row.
    shadow = new ShadowScorer(metrics, {
      maxQueuedRows: options.shadowQueueRows,
      log: options.log ?? null,
      onError: (message) => app.log.warn(message),
    });
    log = options.log
      ? await openServingLog({
          ...options.log,
          events: (stream) => ({
            ...metrics.logEvents(stream),
            failed: (error, rows) => {
              metrics.logFlushFailures.inc({ stream });
              app.log.warn({ err: error, stream, rows }, 'prediction log write failed; the rows stay buffered and are retried');
            },
          }),
        })
      : null;
  } catch (error) {
    await app.close();
    throw error;
  }
  const now = options.now ? () => options.now!().getTime() : Date.now;
  let draining = false;

  app.setErrorHandler((error, request, reply) => {
    const http = toHttpError(error);
    if (http.status >= 500) request.log.error({ err: error, reqId: request.id }, 'predict failed');
    return reply.code(http.status).send(http.body());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: { code: 'route_not_found', message: `no route ${request.method} ${request.url}: predict with POST /v1/models/<name>/predict` },
    }),
  );

  // JSON only: a text/plain body would otherwise reach the handler as a string.
  app.removeContentTypeParser('text/plain');
  const apiKeyCheck = compileApiKeyCheck(options.apiKeys ?? []);
  if (options.rateLimit) {
    // Before the body is read: a flood costs a map lookup per request, not a JSON parse.
    const limit = rateLimitHook(new RateLimiter(options.rateLimit), (headers) => (apiKeyCheck?.(headers) ? presentedKey(headers) : null));
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.startsWith('/v1/')) await limit(request, reply);
    });
  }
  registerPredictRoute(app, { pool, metrics, shadow, apiKeyCheck, log: log?.predictions ?? null, now });
  registerFeedbackRoute(app, { pool, apiKeyCheck, log: log?.feedback ?? null, now });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = !draining && pool.ready();
    return reply.code(ready ? 200 : 503).send({ ready, draining, models: pool.status() });
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  try {
    await pool.start();
  } catch (error) {
    await pool.close();
    await app.close();
    await log?.close();
    throw error;
  }

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      // app.close() stops accepting and waits for in-flight requests, but a keep-alive connection
      // that goes idle after its last response would hold it until the client's timeout: close
      // such connections as they go idle.
      const reapIdle = setInterval(() => app.server.closeIdleConnections(), 50);
      try {
        await app.close();
      } finally {
        clearInterval(reapIdle);
      }
      // Both flushes run to their end, whichever fails; then the first failure is reported.
      const flushed = await Promise.allSettled([shadow.close(), log?.close()]);
      await pool.close();
      const failed = flushed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    })());

  return { app, pool, metrics, log, close };
}
