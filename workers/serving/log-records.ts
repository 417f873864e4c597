/**
 * The prediction-log records the predict route and the shadow scorer write, built in one place so
 * a served row and a shadow row of the same request look alike (same request id, same time) and
 * can be paired by request id in analysis.
 */
import type { PredictionRecord, PredictionRole } from '../../data/prediction-log-format';

export interface RowIdentity {
  requestId: string;
  entityId: string | null;
  model: string;
  version: number;
  role: PredictionRole;
  features: unknown;
  /** When the request arrived at the model, epoch ms. */
  at: number;
}

/** A batch row's id: the response's request_id and the row's index, so feedback can name one row. */
export function batchRowId(requestId: string, index: number): string {
  return `${requestId}#${index}`;
}

export function scoredRecord(id: RowIdentity, score: number, threshold: number, latencyMs: number): PredictionRecord {
  return {
    request_id: id.requestId,
    entity_id: id.entityId,
    model: id.model,
    version: id.version,
    role: id.role,
    features: id.features,
    score,
    label: score >= threshold,
    latency_ms: latencyMs,
    status: 'ok',
    error: null,
    at: id.at,
  };
}

export function failedRecord(id: RowIdentity, error: unknown, latencyMs: number): PredictionRecord {
  return {
    request_id: id.requestId,
    entity_id: id.entityId,
    model: id.model,
    version: id.version,
    role: id.role,
    features: id.features,
    score: null,
    label: null,
    latency_ms: latencyMs,
    status: 'error',
    error: error instanceof Error ? error.message : String(error),
    at: id.at,
  };
}
