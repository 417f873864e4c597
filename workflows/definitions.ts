/**
 * Names and message shapes shared by workflows, workers and the CLI — defined once here so the
 * client and the worker can never disagree. Safe to import from workflow code (no Node APIs).
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { GateResult } from '../core/types';

export const PIPELINE_TASK_QUEUE = 'ratchet-pipeline';

export const RUN_STAGES = [
  'pulling',
  'checking',
  'training',
  'evaluating',
  'gating',
  'registering',
  'awaiting_approval',
  'promoting',
  'done',
  'rejected',
  'expired',
  'failed',
] as const;
export type RunStage = (typeof RUN_STAGES)[number];
export const FINAL_STAGES: readonly RunStage[] = ['done', 'rejected', 'expired', 'failed'];

export interface RetrainInput {
  model: string;
  /** Absolute path of the model's YAML config, read by the worker at the start of the run. */
  configPath: string;
  /** Who started the run; four-eyes: they may not approve it. */
  initiator: string;
  /** The run trains on the window that ends here (ISO-8601). Fixed at start so retries agree. */
  asOf: string;
  reason?: string;
}

export interface ApproveInput {
  user: string;
  comment?: string;
  /** sha256 of the artifact the approver looked at; a different candidate is refused. */
  artifactSha256: string;
}

export interface RejectInput {
  user: string;
  reason: string;
}

export interface Decision {
  kind: 'approved' | 'rejected';
  user: string;
  text: string; // comment or reason
  at: string;
}

export interface StageTiming {
  stage: RunStage;
  startedAt: string;
}

export interface RunStatus {
  runId: string;
  model: string;
  stage: RunStage;
  initiator: string;
  asOf: string;
  approvers: string[];
  snapshot: { snapshotId: string; rows: number; timeRange: { from: string; to: string } | null } | null;
  candidate: { version: number | null; sha256: string; trainer: string } | null;
  champion: { version: number; sha256: string } | null;
  metrics: { candidate: Record<string, number | null>; champion: Record<string, number | null> | null } | null;
  gates: GateResult[];
  blockingFailures: string[];
  reportPath: string | null;
  decision: Decision | null;
  approvalDeadline: string | null;
  error: string | null;
  timeline: StageTiming[];
}

export const statusQuery = defineQuery<RunStatus>('status');
export const approveUpdate = defineUpdate<RunStatus, [ApproveInput]>('approve');
export const rejectUpdate = defineUpdate<RunStatus, [RejectInput]>('reject');

export interface PromotionInput {
  model: string;
  version: number;
  actor: string;
  reason: string;
  /** The retraining run that asked for it, for the audit trail. */
  runId?: string;
}

export interface PromotionResult {
  model: string;
  version: number;
  outcome: 'promoted' | 'rolled_back' | 'aborted';
  champion: number | null;
  previous: number | null;
}

/** Readable, unique workflow ids: the id is what people paste into `ratchet status`. */
export function promotionWorkflowId(model: string): string {
  return `promotion-${model}`;
}
