/**
 * The model registry's one narrow interface. Stores keep plain records (MLflow-like) and do
 * storage only: what a promotion or rollback means lives in lifecycle.ts, over this interface.
 */
import type {
  AuditContext,
  AuditRecord,
  ModelVersion,
  NewVersion,
  Routing,
  RoutingPatch,
  VersionStatus,
} from '../core/types';

/** The parts of a version that may change after registration; artifact, features and runId never do. */
export type VersionPatch = Partial<Pick<ModelVersion, 'status' | 'gates' | 'reportPath' | 'metrics' | 'tags'>>;

export type RoutingUpdate = RoutingPatch | ((current: Routing) => RoutingPatch);

/**
 * A serving worker as it announces itself, so rollback can poll every live worker's /readyz.
 * `models` lists what it serves (empty: whatever the registry holds); `at` is when it last spoke.
 */
export interface ServingWorkerRecord {
  id: string;
  url: string;
  models: string[];
  at: string; // ISO-8601
}

export interface RegistryStore {
  listModels(): Promise<string[]>;
  /** Idempotent on (model, input.runId): a retry returns the version already registered. */
  registerVersion(input: NewVersion, artifact: Uint8Array, ctx: AuditContext): Promise<ModelVersion>;
  /** Throws NotFoundError naming model and version. */
  getVersion(model: string, version: number): Promise<ModelVersion>;
  findVersionByRun(model: string, runId: string): Promise<ModelVersion | null>;
  /** Ascending by version. */
  listVersions(model: string): Promise<ModelVersion[]>;
  updateVersion(model: string, version: number, patch: VersionPatch, ctx: AuditContext): Promise<ModelVersion>;
  /** Verifies length and sha256; ArtifactIntegrityError on mismatch, truncation or a missing file. */
  readArtifact(model: string, version: number): Promise<Uint8Array>;
  /** A model never routed: champion null, mode 'none', revision 0. */
  getRouting(model: string): Promise<Routing>;
  /**
   * Atomic read-modify-write. A function patch sees the current routing under the store's lock.
   * A patch that changes nothing returns the current routing without a new revision or audit line.
   */
  updateRouting(
    model: string,
    patch: RoutingUpdate,
    ctx: AuditContext,
    options?: { expectedRevision?: number },
  ): Promise<Routing>;
  /** Chronological; with `limit`, the most recent `limit` records. */
  readAudit(model: string, options?: { limit?: number }): Promise<AuditRecord[]>;
  /**
   * An audit record for something that is neither a version nor a routing change: an incident,
   * a gate override. Append-only, like every other audit record.
   */
  recordEvent(model: string, event: AuditEvent, ctx: AuditContext): Promise<AuditRecord>;
  /** Upsert by id. Nothing is ever removed: a worker that stops announcing ages out of listServingWorkers. */
  announceServingWorker(worker: ServingWorkerRecord): Promise<void>;
  /** Workers whose last announcement is at most `seenWithinMs` old by the store's clock, by id. */
  listServingWorkers(options: { seenWithinMs: number }): Promise<ServingWorkerRecord[]>;
}

export interface AuditEvent {
  action: string;
  version?: number;
  details?: Record<string, unknown>;
}

export class RegistryError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends RegistryError {}
export class ArtifactIntegrityError extends RegistryError {}
export class ConflictError extends RegistryError {}
export class InvalidNameError extends RegistryError {}
/** A request the registry refuses because of its content (bad patch field, bad routing). */
export class InvalidInputError extends RegistryError {}

const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Checked before any path is built, so a name like "../etc" never reaches the filesystem. */
export function isValidModelName(model: unknown): model is string {
  return typeof model === 'string' && MODEL_NAME.test(model);
}

export function assertModelName(model: unknown): asserts model is string {
  if (!isValidModelName(model)) {
    throw new InvalidNameError(
      `model name ${JSON.stringify(model)} is invalid: use 1-64 characters of a-z, 0-9, "_" or "-", starting with a letter or digit`,
    );
  }
}

export function assertVersionNumber(version: unknown, field = 'version'): asserts version is number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new InvalidNameError(`${field} ${JSON.stringify(version)} is invalid: versions are positive integers (1, 2, 3 ...)`);
  }
}

export const VERSION_STATUSES: readonly VersionStatus[] = [
  'candidate',
  'rejected',
  'approved',
  'champion',
  'previous',
  'archived',
];

/** Checked before a write, so a change is never stored without the who and why of its audit line. */
export function assertAuditContext(ctx: AuditContext): void {
  if (typeof ctx?.actor !== 'string' || ctx.actor.trim().length === 0) {
    throw new InvalidInputError('audit context field "actor" is empty: say who is making the change (a person or a workflow)');
  }
  if (typeof ctx.reason !== 'string') {
    throw new InvalidInputError('audit context field "reason" is missing: say why the change is made');
  }
}

const PATCHABLE_FIELDS = new Set<string>(['status', 'gates', 'reportPath', 'metrics', 'tags']);

/** Patches may arrive as JSON from activities, so the type alone does not keep them honest. */
export function assertVersionPatch(patch: VersionPatch): void {
  for (const key of Object.keys(patch)) {
    if (!PATCHABLE_FIELDS.has(key)) {
      throw new InvalidInputError(
        `version patch field "${key}" cannot change after registration: only ${[...PATCHABLE_FIELDS].join(', ')} can; register a new version instead`,
      );
    }
  }
  if (patch.status !== undefined && !VERSION_STATUSES.includes(patch.status)) {
    throw new InvalidInputError(
      `version patch field "status" is ${JSON.stringify(patch.status)}: use one of ${VERSION_STATUSES.join(', ')}`,
    );
  }
}

const SERVING_WORKER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Checked and normalised (time as ISO UTC, models sorted and unique) before a store keeps it. */
export function checkServingWorker(worker: ServingWorkerRecord): ServingWorkerRecord {
  const bad = (field: string, value: unknown, fix: string) =>
    new InvalidInputError(`serving worker field "${field}" is ${JSON.stringify(value)}: ${fix}`);
  if (typeof worker?.id !== 'string' || !SERVING_WORKER_ID.test(worker.id)) {
    throw bad('id', worker?.id, 'use 1-128 characters of A-Z, a-z, 0-9, "_", "-" or ".", starting with a letter or digit');
  }
  let url: URL | null = null;
  try {
    url = new URL(worker.url);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw bad('url', worker.url, 'use the http(s) base URL other machines reach the worker at, e.g. http://10.0.0.5:8080');
  }
  if (!Array.isArray(worker.models) || !worker.models.every(isValidModelName)) {
    throw bad('models', worker.models, 'use a list of valid model names (empty when the worker serves every model in the registry)');
  }
  const at = typeof worker.at === 'string' ? Date.parse(worker.at) : Number.NaN;
  if (!Number.isFinite(at)) throw bad('at', worker.at, 'use an ISO-8601 time');
  return { id: worker.id, url: worker.url.replace(/\/+$/, ''), models: [...new Set(worker.models)].sort(), at: new Date(at).toISOString() };
}

export function assertSeenWithin(seenWithinMs: unknown): asserts seenWithinMs is number {
  if (typeof seenWithinMs !== 'number' || !Number.isFinite(seenWithinMs) || seenWithinMs <= 0) {
    throw new InvalidInputError(`serving worker option "seenWithinMs" is ${JSON.stringify(seenWithinMs)}: use a positive number of milliseconds`);
  }
}

/** What a store checks before registering, so serving never meets a version it cannot validate against. */
export function assertNewVersion(input: NewVersion, artifact: Uint8Array): void {
  assertModelName(input.model);
  if (typeof input.runId !== 'string' || input.runId.length === 0) {
    throw new InvalidInputError('new version field "runId" is empty: pass the id of the run (workflow) registering it; registration is idempotent on it');
  }
  if (typeof input.threshold !== 'number' || !Number.isFinite(input.threshold) || input.threshold < 0 || input.threshold > 1) {
    throw new InvalidInputError(`new version field "threshold" is ${JSON.stringify(input.threshold)}: use a probability from 0 to 1`);
  }
  if (!Array.isArray(input.features) || input.features.length === 0) {
    throw new InvalidInputError('new version field "features" is empty: declare every input the model takes as { name, type }');
  }
  const seen = new Set<string>();
  input.features.forEach((f, i) => {
    if (typeof f?.name !== 'string' || f.name.length === 0 || (f.type !== 'numeric' && f.type !== 'categorical')) {
      throw new InvalidInputError(`new version field "features[${i}]" is ${JSON.stringify(f)}: use { name: non-empty string, type: "numeric" | "categorical" }`);
    }
    if (seen.has(f.name)) {
      throw new InvalidInputError(`new version field "features[${i}]" repeats the name "${f.name}": feature names must be unique`);
    }
    seen.add(f.name);
  });
  if (input.status !== undefined && !VERSION_STATUSES.includes(input.status)) {
    throw new InvalidInputError(`new version field "status" is ${JSON.stringify(input.status)}: use one of ${VERSION_STATUSES.join(', ')}`);
  }
  if (!(artifact instanceof Uint8Array) || artifact.byteLength === 0) {
    throw new InvalidInputError('artifact is empty: pass the bytes of the ONNX model');
  }
}
