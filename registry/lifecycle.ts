/**
 * The routing transitions every workflow needs: promote, start or clear a candidate, roll back.
 *
 * What the new routing is, is decided by the pure `nextRouting`; which statuses follow from a
 * routing, by the pure `statusChanges`. The functions at the bottom apply both through the store:
 * one atomic routing update (the decision is made on the routing read under the store's lock),
 * then status updates. Statuses are reconciled against the resulting routing rather than derived
 * from the step, so retrying an interrupted transition repairs the statuses it did not reach.
 * Each function returns the routing in force afterwards; the status changes are in the audit log.
 */
import type { AuditContext, ModelVersion, Routing, RoutingPatch, VersionStatus } from '../core/types';
import { RegistryError, type RegistryStore } from './store';

export type CandidateMode = 'shadow' | 'canary';

export type RoutingAction =
  | { kind: 'promote'; version: number }
  | { kind: 'start_candidate'; version: number; mode: CandidateMode; percent: number }
  | { kind: 'clear_candidate' }
  | { kind: 'rollback'; to: number | 'previous' };

/** A transition that makes no sense for the current routing; the message says what to do instead. */
export class LifecycleError extends RegistryError {}

type RoutingFields = Required<RoutingPatch>;

function fieldsOf(r: Routing): RoutingFields {
  return { champion: r.champion, previous: r.previous, candidate: r.candidate, mode: r.mode, percent: r.percent };
}

export function nextRouting(current: Routing, action: RoutingAction): RoutingFields {
  const unchanged = fieldsOf(current);
  switch (action.kind) {
    case 'promote':
      return makeChampion(current, action.version);
    case 'rollback': {
      const target = action.to === 'previous' ? current.previous : action.to;
      if (target === null) {
        throw new LifecycleError(
          `model "${current.model}" has no previous version to roll back to: name the version to roll back to instead`,
        );
      }
      return makeChampion(current, target);
    }
    case 'start_candidate': {
      const { version, mode, percent } = action;
      if (current.champion === null) {
        throw new LifecycleError(`model "${current.model}" has no champion: promote a version before starting a candidate against it`);
      }
      if (version === current.champion) {
        throw new LifecycleError(`version ${version} of model "${current.model}" is already the champion: it cannot be its own candidate`);
      }
      if (current.candidate !== null && current.candidate !== version) {
        throw new LifecycleError(
          `model "${current.model}" already has candidate ${current.candidate} (${current.mode}): clear it before starting version ${version}`,
        );
      }
      if (mode !== 'shadow' && mode !== 'canary') {
        throw new LifecycleError(`candidate mode ${JSON.stringify(mode)} is invalid: use "shadow" or "canary" (clear the candidate to stop it)`);
      }
      if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
        throw new LifecycleError(`candidate percent ${JSON.stringify(percent)} is invalid: use a number from 0 to 100`);
      }
      return { ...unchanged, candidate: version, mode, percent };
    }
    case 'clear_candidate':
      return { ...unchanged, candidate: null, mode: 'none', percent: 0 };
  }
}

/**
 * The target becomes champion; the champion it replaces becomes previous; any candidate stops.
 * Promoting the current champion changes nothing, so a retried step is harmless.
 */
function makeChampion(current: Routing, version: number): RoutingFields {
  if (current.champion === version) return fieldsOf(current);
  const previous = current.champion ?? current.previous;
  return { champion: version, previous: previous === version ? null : previous, candidate: null, mode: 'none', percent: 0 };
}

export interface StatusChange {
  version: number;
  from: VersionStatus;
  to: VersionStatus;
}

/**
 * Statuses that follow from a routing: its champion is 'champion', its previous is 'previous',
 * and a version still marked champion or previous that the routing no longer names is 'archived'.
 * Candidate, approved and rejected statuses are the workflows' business and are left alone.
 */
export function statusChanges(routing: Routing, versions: ModelVersion[]): StatusChange[] {
  const changes: StatusChange[] = [];
  for (const v of versions) {
    let to: VersionStatus = v.status;
    if (v.version === routing.champion) to = 'champion';
    else if (v.version === routing.previous) to = 'previous';
    else if (v.status === 'champion' || v.status === 'previous') to = 'archived';
    if (to !== v.status) changes.push({ version: v.version, from: v.status, to });
  }
  return changes;
}

export async function promoteToChampion(
  store: RegistryStore,
  model: string,
  version: number,
  ctx: AuditContext,
): Promise<Routing> {
  await assertServable(store, model, version, 'promote');
  return applyAction(store, model, { kind: 'promote', version }, ctx);
}

export async function startCandidate(
  store: RegistryStore,
  model: string,
  version: number,
  stage: { mode: CandidateMode; percent: number },
  ctx: AuditContext,
): Promise<Routing> {
  await assertServable(store, model, version, 'start as candidate');
  return applyAction(store, model, { kind: 'start_candidate', version, mode: stage.mode, percent: stage.percent }, ctx);
}

export async function clearCandidate(store: RegistryStore, model: string, ctx: AuditContext): Promise<Routing> {
  return applyAction(store, model, { kind: 'clear_candidate' }, ctx);
}

/** For incidents: any registered version may be the target, whatever its status. */
export async function rollbackTo(
  store: RegistryStore,
  model: string,
  target: number | 'previous',
  ctx: AuditContext,
): Promise<Routing> {
  if (target !== 'previous') await store.getVersion(model, target);
  return applyAction(store, model, { kind: 'rollback', to: target }, ctx);
}

async function assertServable(store: RegistryStore, model: string, version: number, verb: string): Promise<void> {
  const record = await store.getVersion(model, version);
  if (record.status === 'rejected') {
    throw new LifecycleError(
      `version ${version} of model "${model}" is rejected: cannot ${verb} it; override its failed gates and set its status first, or train a new version`,
    );
  }
}

async function applyAction(
  store: RegistryStore,
  model: string,
  action: RoutingAction,
  ctx: AuditContext,
): Promise<Routing> {
  const routing = await store.updateRouting(model, (current) => nextRouting(current, action), ctx);
  const changes = statusChanges(routing, await store.listVersions(model));
  for (const change of changes) {
    await store.updateVersion(model, change.version, { status: change.to }, ctx);
  }
  return routing;
}
