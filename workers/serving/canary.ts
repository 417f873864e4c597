/**
 * Stable traffic assignment. An entity lands in one of 10,000 buckets by FNV-1a (32-bit) of the
 * UTF-8 bytes of `${model}:${key}`; the candidate serves buckets below percent × 100. The same
 * entity therefore meets the same version throughout a stage, and as the percent grows, entities
 * only ever move from champion to candidate. The rule is simple enough to recompute in SQL or
 * Python when live traffic is analysed.
 */

export const BUCKETS = 10_000;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

export function bucketOf(model: string, key: string): number {
  return fnv1a32(`${model}:${key}`) % BUCKETS;
}

/** percent in 0..100; fractions count (0.5 % = 50 buckets). */
export function inCandidateShare(model: string, key: string, percent: number): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return bucketOf(model, key) < Math.round(percent * (BUCKETS / 100));
}

export type ServingRole = 'champion' | 'candidate';

/** Canary: the candidate's share of entities gets the candidate; everyone else (and every other mode) the champion. */
export function pickRole(
  view: { model: string; mode: string; percent: number; candidate: unknown },
  key: string,
): ServingRole {
  return view.mode === 'canary' && view.candidate !== null && inCandidateShare(view.model, key, view.percent) ? 'candidate' : 'champion';
}
