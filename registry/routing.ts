/**
 * Pure rules for routing records, shared by every store: the default for a model never routed,
 * applying a patch, and the shape checks a routing must pass before it is stored.
 */
import type { Routing, RoutingMode, RoutingPatch } from '../core/types';
import { InvalidInputError } from './store';

const NEVER = new Date(0).toISOString();
const MODES: readonly RoutingMode[] = ['none', 'shadow', 'canary'];
const PATCH_FIELDS = new Set(['champion', 'previous', 'candidate', 'mode', 'percent']);

export function defaultRouting(model: string): Routing {
  return { model, champion: null, previous: null, candidate: null, mode: 'none', percent: 0, revision: 0, updatedAt: NEVER };
}

/** The routing a patch would produce, before revision and timestamp are assigned. */
export function applyRoutingPatch(current: Routing, patch: RoutingPatch): Routing {
  for (const key of Object.keys(patch)) {
    if (!PATCH_FIELDS.has(key)) {
      throw new InvalidInputError(
        `routing patch field "${key}" is not patchable: use champion, previous, candidate, mode or percent (revision and updatedAt are assigned by the store)`,
      );
    }
  }
  const next: Routing = { ...current };
  for (const [key, value] of Object.entries(patch) as [keyof RoutingPatch, unknown][]) {
    // An explicit `undefined` in a patch means "leave it", like an absent key.
    if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
  }
  assertRoutingShape(next);
  return next;
}

export function sameRouting(a: Routing, b: Routing): boolean {
  return (
    a.champion === b.champion &&
    a.previous === b.previous &&
    a.candidate === b.candidate &&
    a.mode === b.mode &&
    a.percent === b.percent
  );
}

/** Versions a routing points at (for existence checks). */
export function routedVersions(routing: Routing): number[] {
  return [routing.champion, routing.previous, routing.candidate].filter((v): v is number => v !== null);
}

function assertRoutingShape(r: Routing): void {
  for (const field of ['champion', 'previous', 'candidate'] as const) {
    const v = r[field];
    if (v !== null && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)) {
      throw new InvalidInputError(`routing field "${field}" is ${JSON.stringify(v)}: use a positive version number or null`);
    }
  }
  if (!MODES.includes(r.mode)) {
    throw new InvalidInputError(`routing field "mode" is ${JSON.stringify(r.mode)}: use one of ${MODES.join(', ')}`);
  }
  if (typeof r.percent !== 'number' || !Number.isFinite(r.percent) || r.percent < 0 || r.percent > 100) {
    throw new InvalidInputError(`routing field "percent" is ${JSON.stringify(r.percent)}: use a number from 0 to 100`);
  }
  if (r.mode !== 'none' && r.candidate === null) {
    throw new InvalidInputError(`routing mode "${r.mode}" needs a candidate: set "candidate" to a version, or mode to "none"`);
  }
  if (r.candidate !== null && r.candidate === r.champion) {
    throw new InvalidInputError(`routing field "candidate" equals the champion (${r.champion}): a version cannot compete with itself`);
  }
  if (r.previous !== null && r.previous === r.champion) {
    throw new InvalidInputError(`routing field "previous" equals the champion (${r.champion}): previous must be another version, or null`);
  }
}
