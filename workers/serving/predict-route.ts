/**
 * POST /v1/models/:name/predict — one row ({ entity_id?, features }) or a batch
 * ({ instances: [...] }, at most 1,000), scored by the version routing assigns to each row.
 *
 * The hot path: read the model's current view, pick the role per row, validate against that
 * version's features, and start scoring — all in one synchronous stretch, so the version picked
 * holds a reference before any swap can retire it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FeatureRow } from '../../core/types';
import type { PredictionRecord } from '../../data/prediction-log-format';
import { ScoringInputError } from '../../scoring/onnx-model';
import { apiKeyHook, type ApiKeyCheck } from './api-keys';
import { inCandidateShare, pickRole, type ServingRole } from './canary';
import { HttpError } from './http-errors';
import type { LoadedVersion } from './loaded-version';
import type { ServingMetrics } from './metrics';
import { batchRowId, failedRecord, scoredRecord, type RowIdentity } from './log-records';
import type { ModelPool, ServingView } from './model-pool';
import type { PredictionSink } from './prediction-log';
import { parsePredictBody, type FieldError, type PredictRow } from './request-validation';
import type { ShadowScorer } from './shadow';

export interface PredictDeps {
  pool: ModelPool;
  metrics: ServingMetrics;
  shadow: ShadowScorer;
  apiKeyCheck: ApiKeyCheck | null;
  /** Where served rows are recorded; null: not logged. */
  log: PredictionSink | null;
  /** Epoch ms. */
  now: () => number;
}

interface Served {
  model: string;
  version: string;
  role: string;
  kind: 'single' | 'batch';
}

type PredictRequest = FastifyRequest<{ Params: { name: string } }>;

export function registerPredictRoute(app: FastifyInstance, deps: PredictDeps): void {
  const { pool, metrics } = deps;
  // What each request was served by, for the metrics hook (a WeakMap keeps Fastify's types untouched).
  const served = new WeakMap<FastifyRequest, Served>();

  // A callback hook, not an async one: no promise per request on the hot path.
  const recordMetrics = (request: PredictRequest, reply: FastifyReply, done: () => void) => {
    const info = served.get(request);
    const model = info?.model ?? (pool.view(request.params.name) ? request.params.name : '_unknown');
    const status = String(reply.statusCode);
    metrics.requests.inc({ model, version: info?.version ?? '', role: info?.role ?? '', status });
    // Requests refused before scoring get their own kind, so they do not flatter the served latencies.
    metrics.latency.observe({ model, kind: info?.kind ?? 'rejected' }, reply.elapsedTime / 1000);
    done();
  };

  app.post<{ Params: { name: string } }>(
    '/v1/models/:name/predict',
    { ...apiKeyHook(deps.apiKeyCheck), onResponse: recordMetrics },
    async (request) => {
      const model = request.params.name;
      const view = servedView(pool, model);
      if (!view.champion) throw new HttpError(503, 'no_champion', noChampionMessage(pool, model));
      const body = parsePredictBody(request.body);
      if (body.kind === 'error') throw badRequest(body.error);

      if (body.kind === 'single') {
        const { version, role, score, label } = await predictOne(deps, view, body.row, request.id);
        served.set(request, { model, version: String(version), role, kind: 'single' });
        return { request_id: request.id, model, version, role, score, label };
      }
      const { predictions, versionLabel, roleLabel } = await predictBatch(deps, view, body.rows, request.id);
      served.set(request, { model, version: versionLabel, role: roleLabel, kind: 'batch' });
      return { request_id: request.id, model, predictions };
    },
  );
}

interface Prediction {
  version: number;
  role: ServingRole;
  score: number;
  label: boolean;
}

/** A model call's outcome with the time the request waited for it. */
type Timed<T> = { ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number };

function timed<T>(promise: Promise<T>): Promise<Timed<T>> {
  const started = performance.now();
  return promise.then(
    (value) => ({ ok: true as const, value, ms: performance.now() - started }),
    (error: unknown) => ({ ok: false as const, error, ms: performance.now() - started }),
  );
}

async function predictOne(deps: PredictDeps, view: ServingView, row: PredictRow, requestId: string): Promise<Prediction> {
  const key = row.entityId ?? requestId;
  const role = pickRole(view, key);
  const version = versionFor(view, role);
  const invalid = version.validate(row.features, row.path);
  if (invalid) throw badRequest(invalid);
  const at = deps.now();
  const scoring = timed(version.scoreOne(row.features as FeatureRow));
  if (shadows(view, key)) deps.shadow.submit(view.model, view.candidate!, [row], [requestId], at, version.validatesLike(view.candidate!));
  const outcome = await scoring;
  const id: RowIdentity = { requestId, entityId: row.entityId, model: view.model, version: version.version, role, features: row.features, at };
  if (!outcome.ok) {
    deps.log?.append([failedRecord(id, outcome.error, outcome.ms)]);
    throw asHttpError(outcome.error, [row]);
  }
  const score = outcome.value;
  deps.log?.append([scoredRecord(id, score, version.threshold, outcome.ms)]);
  deps.metrics.predictions.inc({ model: view.model, version: String(version.version), role });
  return { version: version.version, role, score, label: score >= version.threshold };
}

async function predictBatch(
  deps: PredictDeps,
  view: ServingView,
  rows: PredictRow[],
  requestId: string,
): Promise<{ predictions: Prediction[]; versionLabel: string; roleLabel: string }> {
  const roles: ServingRole[] = new Array(rows.length);
  const groups = new Map<ServingRole, number[]>();
  const shadowed: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const key = rows[i].entityId ?? requestId;
    const role = pickRole(view, key);
    const invalid = versionFor(view, role).validate(rows[i].features, rows[i].path);
    if (invalid) throw badRequest(invalid);
    roles[i] = role;
    let group = groups.get(role);
    if (!group) groups.set(role, (group = []));
    group.push(i);
    if (shadows(view, key)) shadowed.push(i);
  }

  const at = deps.now();
  const scoring = [...groups].map(([role, indices]) => {
    const version = versionFor(view, role);
    return { role, version, indices, outcome: timed(version.score(indices.map((i) => rows[i].features as FeatureRow))) };
  });
  if (shadowed.length > 0) {
    const validated = shadowed.every((i) => versionFor(view, roles[i]).validatesLike(view.candidate!));
    deps.shadow.submit(view.model, view.candidate!, shadowed.map((i) => rows[i]), shadowed.map((i) => batchRowId(requestId, i)), at, validated);
  }

  const outcomes = await Promise.all(scoring.map((g) => g.outcome));
  const predictions: Prediction[] = new Array(rows.length);
  const records: PredictionRecord[] = [];
  let failure: { error: unknown; rows: PredictRow[] } | null = null;
  for (let g = 0; g < scoring.length; g++) {
    const { role, version, indices } = scoring[g];
    const outcome = outcomes[g];
    for (let j = 0; j < indices.length; j++) {
      const row = rows[indices[j]];
      const id: RowIdentity = { requestId: batchRowId(requestId, indices[j]), entityId: row.entityId, model: view.model, version: version.version, role, features: row.features, at };
      if (!outcome.ok) {
        records.push(failedRecord(id, outcome.error, outcome.ms));
        continue;
      }
      const score = outcome.value[j];
      records.push(scoredRecord(id, score, version.threshold, outcome.ms));
      predictions[indices[j]] = { version: version.version, role, score, label: score >= version.threshold };
    }
    if (outcome.ok) deps.metrics.predictions.inc({ model: view.model, version: String(version.version), role }, indices.length);
    else failure ??= { error: outcome.error, rows: indices.map((i) => rows[i]) };
  }
  deps.log?.append(records);
  if (failure) throw asHttpError(failure.error, failure.rows);
  const only = scoring.length === 1 ? scoring[0] : null;
  return { predictions, versionLabel: only ? String(only.version.version) : 'mixed', roleLabel: only ? only.role : 'mixed' };
}

/** The model's current view, or a 404 naming the models this worker serves. */
export function servedView(pool: ModelPool, model: string): ServingView {
  const view = pool.view(model);
  if (!view) {
    throw new HttpError(404, 'model_not_found', `model "${model}" is not served here (served: ${pool.models().join(', ') || 'none'}): check the model name in the URL`);
  }
  return view;
}

function versionFor(view: ServingView, role: ServingRole): LoadedVersion {
  // pickRole only answers 'candidate' when one is loaded; the route checked the champion.
  return (role === 'candidate' ? view.candidate : view.champion)!;
}

function shadows(view: ServingView, key: string): boolean {
  return view.mode === 'shadow' && view.candidate !== null && inCandidateShare(view.model, key, view.percent);
}

/** A value the model's inputs cannot take (e.g. null for an int64 input) is the client's 400, named by row; the rest are ours. */
function asHttpError(error: unknown, rows: PredictRow[]): unknown {
  if (!(error instanceof ScoringInputError)) return error;
  const row = rows[error.row ?? 0];
  const field = `${row.path}.${error.feature}`;
  return new HttpError(400, 'invalid_feature', `${field}: ${error.message}`, field);
}

function badRequest(error: FieldError): HttpError {
  return new HttpError(400, error.code, error.message, error.field || undefined);
}

function noChampionMessage(pool: ModelPool, model: string): string {
  const status = pool.statusOf(model);
  const routed = status?.routing?.champion ?? null;
  if (routed === null) return `model "${model}" has no champion yet: promote a version before sending traffic`;
  const why = status?.lastError ? `: ${status.lastError.message}` : ' yet';
  return `champion version ${routed} of model "${model}" is not loaded${why}; fix its artifact or roll back to a version that loads`;
}
