/** Messages between the shadow scorer (shadow.ts) and its thread (shadow-thread.ts). */
import type { ColumnTable, FeatureSpec } from '../../core/types';
import type { ServingLogOptions } from './prediction-log';

/** Who a shadow row belongs to: the request it mirrors. */
export interface ShadowRowId {
  requestId: string;
  entityId: string | null;
  /** The request's time, epoch ms. */
  at: number;
}

/** The ids of a batch's rows as columns: no object per row to clone. */
export interface ShadowIds {
  requestId: string[];
  entityId: (string | null)[];
  at: Float64Array;
}

/**
 * A batch of shadow rows: those the candidate accepts as columns over its features (typed arrays
 * for numbers, handed over without copying), with their ids in the same order; those it refused,
 * with the reason, to be logged as errors.
 */
export interface ShadowBatch {
  ids: ShadowIds;
  table: ColumnTable;
  rejected: (ShadowRowId & { error: string })[];
}

export interface ShadowThreadData {
  /** The thread's own prediction log (its segments are named <workerId>-shadow-…); null: not logged. */
  log: Omit<ServingLogOptions, 'events'> | null;
}

export type ToShadowThread =
  /** A candidate version: its ONNX bytes and what validation and logging need. Sent once per version. */
  | { type: 'load'; key: string; model: string; version: number; features: FeatureSpec[]; threshold: number; artifact: Uint8Array }
  | { type: 'forget'; key: string }
  | ({ type: 'score'; batch: number; key: string } & ShadowBatch)
  | { type: 'close' };

export type FromShadowThread =
  | { type: 'scored'; batch: number; scored: number; invalid: number; errors: number }
  | { type: 'log'; event: 'written' | 'dropped' | 'failed'; rows: number; error?: string }
  | { type: 'closed'; error: string | null }
  /** The thread cannot work (its log store refused it) and is about to exit. */
  | { type: 'failed'; error: string };
