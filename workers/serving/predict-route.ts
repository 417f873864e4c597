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
import { ScoringInputError } from '../../scoring/onnx-model';
import type { ApiKeyCheck } from './api-keys';
import { inCandidateShare, pickRole, type ServingRole } from './canary';
import { HttpError } from './http-errors';
import type { LoadedVersion } from './loaded-version';
import type { ServingMetrics } from './metrics';
import type { ModelPool, ServingView } from './model-pool';
import { parsePredictBody, type FieldError, type PredictRow } from './request-validation';
import type { ShadowScorer } from './shadow';

export interface PredictDeps {
  pool: ModelPool;
  metrics: ServingMetrics;
  shadow: ShadowScorer;
  apiKeyCheck: ApiKeyCheck | null;
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

  const recordMetrics = async (request: PredictRequest, reply: FastifyReply) => {
    const info = served.get(request);
    const model = info?.model ?? (pool.view(request.params.name) ? request.params.name : '_unknown');
    const status = String(reply.statusCode);
    metrics.requests.inc({ model, version: info?.version ?? '', role: info?.role ?? '', status });
    // Requests refused before scoring get their own kind, so they do not flatter the served latencies.
    metrics.latency.observe({ model, kind: info?.kind ?? 'rejected' }, reply.elapsedTime / 1000);
  };

  const checkApiKey = deps.apiKeyCheck;
  const requireApiKey = async (request: FastifyRequest) => {
    if (checkApiKey && !checkApiKey(request.headers)) {
      throw new HttpError(401, 'unauthorized', 'this worker requires an API key: send the header Authorization: Bearer <key> (or X-API-Key: <key>)');
    }
  };

  app.post<{ Params: { name: string } }>(
    '/v1/models/:name/predict',
    { onRequest: requireApiKey, onResponse: recordMetrics },
    async (request) => {
      const model = request.params.name;
      const view = pool.view(model);
      if (!view) {
        throw new HttpError(404, 'model_not_found', `model "${model}" is not served here (served: ${pool.models().join(', ') || 'none'}): check the model name in the URL`);
      }
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

async function predictOne(deps: PredictDeps, view: ServingView, row: PredictRow, requestId: string): Promise<Prediction> {
  const key = row.entityId ?? requestId;
  const role = pickRole(view, key);
  const version = versionFor(view, role);
  const invalid = version.validate(row.features, row.path);
  if (invalid) throw badRequest(invalid);
  const scoring = version.score([row.features as FeatureRow]);
  if (shadows(view, key)) deps.shadow.submit(view.model, view.candidate!, [row]);
  const scores = await scoringOrBadRequest(scoring, [row]);
  deps.metrics.predictions.inc({ model: view.model, version: String(version.version), role });
  return { version: version.version, role, score: scores[0], label: scores[0] >= version.threshold };
}

async function predictBatch(
  deps: PredictDeps,
  view: ServingView,
  rows: PredictRow[],
  requestId: string,
): Promise<{ predictions: Prediction[]; versionLabel: string; roleLabel: string }> {
  const roles: ServingRole[] = new Array(rows.length);
  const groups = new Map<ServingRole, number[]>();
  const shadowRows: PredictRow[] = [];
  for (let i = 0; i < rows.length; i++) {
    const key = rows[i].entityId ?? requestId;
    const role = pickRole(view, key);
    const invalid = versionFor(view, role).validate(rows[i].features, rows[i].path);
    if (invalid) throw badRequest(invalid);
    roles[i] = role;
    let group = groups.get(role);
    if (!group) groups.set(role, (group = []));
    group.push(i);
    if (shadows(view, key)) shadowRows.push(rows[i]);
  }

  const scoring = [...groups].map(([role, indices]) => {
    const version = versionFor(view, role);
    const groupRows = indices.map((i) => rows[i]);
    return { role, version, indices, scores: scoringOrBadRequest(version.score(groupRows.map((r) => r.features as FeatureRow)), groupRows) };
  });
  if (shadowRows.length > 0) deps.shadow.submit(view.model, view.candidate!, shadowRows);

  const predictions: Prediction[] = new Array(rows.length);
  const settled = await Promise.allSettled(scoring.map((g) => g.scores));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  scoring.forEach(({ role, version, indices }, g) => {
    const scores = (settled[g] as PromiseFulfilledResult<Float64Array>).value;
    deps.metrics.predictions.inc({ model: view.model, version: String(version.version), role }, indices.length);
    indices.forEach((rowIndex, j) => {
      predictions[rowIndex] = { version: version.version, role, score: scores[j], label: scores[j] >= version.threshold };
    });
  });
  const only = scoring.length === 1 ? scoring[0] : null;
  return { predictions, versionLabel: only ? String(only.version.version) : 'mixed', roleLabel: only ? only.role : 'mixed' };
}

function versionFor(view: ServingView, role: ServingRole): LoadedVersion {
  // pickRole only answers 'candidate' when one is loaded; the route checked the champion.
  return (role === 'candidate' ? view.candidate : view.champion)!;
}

function shadows(view: ServingView, key: string): boolean {
  return view.mode === 'shadow' && view.candidate !== null && inCandidateShare(view.model, key, view.percent);
}

/** A value the model's inputs cannot take (e.g. null for an int64 input) is the client's 400, named by row. */
async function scoringOrBadRequest(scoring: Promise<Float64Array>, rows: PredictRow[]): Promise<Float64Array> {
  try {
    return await scoring;
  } catch (error) {
    if (!(error instanceof ScoringInputError)) throw error;
    const row = rows[error.row ?? 0];
    const field = `${row.path}.${error.feature}`;
    throw new HttpError(400, 'invalid_feature', `${field}: ${error.message}`, field);
  }
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
