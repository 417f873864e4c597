/**
 * POST /v1/models/:name/feedback — delayed ground truth for earlier predictions, one item or
 * { items: [...] } (at most 1,000). Accepted items are appended to the log's feedback stream and
 * answered 202: they become durable with the next flush, like predictions.
 */
import type { FastifyInstance } from 'fastify';
import type { FeedbackRecord } from '../../data/prediction-log-format';
import { apiKeyHook, type ApiKeyCheck } from './api-keys';
import { parseFeedbackBody } from './feedback-validation';
import { HttpError } from './http-errors';
import type { ModelPool } from './model-pool';
import { servedView } from './predict-route';
import type { FeedbackSink } from './prediction-log';

export interface FeedbackDeps {
  pool: ModelPool;
  apiKeyCheck: ApiKeyCheck | null;
  /** null: the log is off, and feedback has nowhere to go. */
  log: FeedbackSink | null;
  /** Epoch ms. */
  now: () => number;
}

export function registerFeedbackRoute(app: FastifyInstance, deps: FeedbackDeps): void {
  app.post<{ Params: { name: string } }>('/v1/models/:name/feedback', apiKeyHook(deps.apiKeyCheck), async (request, reply) => {
    const model = request.params.name;
    servedView(deps.pool, model);
    if (!deps.log) {
      throw new HttpError(503, 'log_off', 'this worker keeps no prediction log (RATCHET_PREDICTION_LOG=off), so it cannot take feedback: send it to a worker that logs');
    }
    const parsed = parseFeedbackBody(request.body);
    if (parsed.kind === 'error') throw new HttpError(400, parsed.error.code, parsed.error.message, parsed.error.field || undefined);
    const receivedAt = deps.now();
    const records: FeedbackRecord[] = parsed.items.map((item) => ({
      model,
      request_id: item.requestId,
      entity_id: item.entityId,
      label: item.label,
      at: item.at ?? receivedAt,
      received_at: receivedAt,
    }));
    if (!deps.log.append(records)) {
      throw new HttpError(503, 'log_unavailable', 'the prediction log cannot take more rows right now (its store is failing; see the worker log): retry later');
    }
    return reply.code(202).send({ accepted: records.length });
  });
}
