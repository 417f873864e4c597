/**
 * Pure record-building shared by every store, so each store only decides where bytes go and how
 * writers are serialised, never what a version, a patch or an audit line looks like: the same
 * inputs give the same records and the same audit trail in a directory as in PostgreSQL.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ArtifactRef, AuditContext, AuditRecord, ModelVersion, NewVersion, Routing } from '../core/types';
import { ArtifactIntegrityError, ConflictError, NotFoundError, type VersionPatch } from './store';

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function newVersionRecord(input: NewVersion, version: number, artifact: ArtifactRef, createdAt: string): ModelVersion {
  return {
    model: input.model,
    version,
    status: input.status ?? 'candidate',
    artifact,
    createdAt,
    runId: input.runId,
    trainer: input.trainer,
    features: input.features,
    threshold: input.threshold,
    snapshot: input.snapshot,
    metrics: input.metrics,
    gates: input.gates,
    reportPath: input.reportPath,
    tags: input.tags,
  };
}

export function registerAuditDetails(record: ModelVersion): Record<string, unknown> {
  return { runId: record.runId, status: record.status, artifact: record.artifact };
}

export interface PlannedVersionChange {
  next: ModelVersion;
  action: 'status' | 'update';
  details: { before: Record<string, unknown>; after: Record<string, unknown> };
}

/**
 * What a patch changes, or null when it changes nothing (no write, no audit line). Values are
 * compared as JSON ignoring key order: a store may hand back objects with their keys reordered
 * (PostgreSQL's jsonb does), and that alone is no change.
 */
export function planVersionPatch(current: ModelVersion, patch: VersionPatch): PlannedVersionChange | null {
  const changed = (Object.keys(patch) as (keyof VersionPatch)[]).filter(
    (key) => patch[key] !== undefined && !sameJson(patch[key], current[key]),
  );
  if (changed.length === 0) return null;
  const next: ModelVersion = { ...current };
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const key of changed) {
    before[key] = current[key];
    after[key] = patch[key];
    (next as unknown as Record<string, unknown>)[key] = patch[key];
  }
  return { next, action: changed.includes('status') ? 'status' : 'update', details: { before, after } };
}

export function routingAuditDetails(current: Routing, next: Routing): Record<string, unknown> {
  return { revision: next.revision, before: routingFields(current), after: routingFields(next) };
}

export function auditRecord(
  model: string,
  ctx: AuditContext,
  action: string,
  version: number | undefined,
  details: Record<string, unknown>,
  at: string,
): AuditRecord {
  return {
    at,
    model,
    actor: ctx.actor,
    action,
    reason: ctx.reason,
    ...(ctx.workflowId !== undefined ? { workflowId: ctx.workflowId } : {}),
    ...(version !== undefined ? { version } : {}),
    details,
  };
}

/** Throws ConflictError when a caller's view of the routing is stale. */
export function assertExpectedRevision(current: Routing, expectedRevision: number | undefined): void {
  if (expectedRevision !== undefined && expectedRevision !== current.revision) {
    throw new ConflictError(
      `routing of model "${current.model}" is at revision ${current.revision}, not the expected ${expectedRevision}: ` +
        `someone changed it meanwhile; read the routing again and retry`,
    );
  }
}

export function versionNotFound(model: string, version: number): NotFoundError {
  return new NotFoundError(`model "${model}" has no version ${version}: list its versions to find the right number`);
}

export function unregisteredRoutedVersion(model: string, version: number): NotFoundError {
  return new NotFoundError(`routing of model "${model}" points at version ${version}, which is not registered: register it first`);
}

/** Checks stored bytes against the version's record; `where` names the place for the operator. */
export function verifyArtifact(record: ModelVersion, data: Uint8Array | null, where: string): asserts data is Uint8Array {
  const { model, version } = record;
  const { sha256, bytes } = record.artifact;
  if (data === null) {
    throw new ArtifactIntegrityError(
      `artifact of model "${model}" version ${version} is missing at ${where}: restore it from backup or register a new version`,
    );
  }
  const actual = sha256Hex(data);
  if (data.byteLength !== bytes || actual !== sha256) {
    throw new ArtifactIntegrityError(
      `artifact of model "${model}" version ${version} at ${where} fails its integrity check ` +
        `(expected ${bytes} bytes with sha256 ${sha256}, found ${data.byteLength} bytes with sha256 ${actual}): ` +
        `the stored copy was altered or truncated; restore it from backup or register a new version`,
    );
  }
}

function routingFields(r: Routing) {
  return { champion: r.champion, previous: r.previous, candidate: r.candidate, mode: r.mode, percent: r.percent };
}

/** Equal as JSON: key order and `undefined` members do not count. */
function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(toJson(a), toJson(b));
}

function toJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
