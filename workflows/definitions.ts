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
  'rolled_back',
  'failed',
] as const;
export type RunStage = (typeof RUN_STAGES)[number];
export const FINAL_STAGES: readonly RunStage[] = ['done', 'rejected', 'expired', 'rolled_back', 'failed'];

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

export interface OverrideInput {
  user: string;
  gate: string;
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
  /** May override a failed gate with a written reason (the model's approval.admins). */
  admins: string[];
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
export const overrideUpdate = defineUpdate<RunStatus, [OverrideInput]>('override');

export interface PromotionInput {
  model: string;
  version: number;
  /** Who approved it: recorded on every routing change. */
  actor: string;
  reason: string;
  /** The model's config, read at the start for stages, criteria and operators. */
  configPath: string;
  /** The retraining run that asked for it, for the audit trail. */
  runId?: string;
}

export type PromotionOutcome = 'promoted' | 'rolled_back' | 'aborted';

export interface PromotionResult {
  model: string;
  version: number;
  outcome: PromotionOutcome;
  champion: number | null;
  previous: number | null;
  reason: string;
}

export type PromotionPhase = 'starting' | 'stage' | 'paused' | 'watching' | 'rolling_back' | 'done';

/** One live check, as the analysis activity returns it (validation/live-analysis LiveCheck). */
export interface AnalysisCheck {
  check: string;
  verdict: 'pass' | 'fail' | 'inconclusive' | 'skipped';
  value: number | null;
  threshold: number | null;
  evidence: string;
}

export interface StageAnalysis {
  at: string;
  verdict: 'pass' | 'fail' | 'inconclusive';
  baseline: { version: number; requests: number; scored: number; errors: number; labelled: number };
  candidate: { version: number; requests: number; scored: number; errors: number; labelled: number };
  checks: AnalysisCheck[];
}

export interface PromotionStatus {
  model: string;
  version: number;
  champion: number | null;
  phase: PromotionPhase;
  stage: { index: number; name: string; mode: 'shadow' | 'canary' | 'full'; percent: number; startedAt: string; minDurationMs: number; minSamples: number } | null;
  stages: string[];
  timeInStageMs: number;
  pausedReason: string | null;
  /** The rollback criteria of the current stage, fixed when it started. */
  criteria: Record<string, number> | null;
  latest: StageAnalysis | null;
  analyses: number;
  outcome: PromotionOutcome | null;
  reason: string | null;
  events: { at: string; text: string }[];
}

export interface OperatorInput {
  user: string;
  reason?: string;
}

export const promotionStatusQuery = defineQuery<PromotionStatus>('promotionStatus');
export const pauseUpdate = defineUpdate<PromotionStatus, [OperatorInput]>('pause');
export const resumeUpdate = defineUpdate<PromotionStatus, [OperatorInput]>('resume');
export const abortUpdate = defineUpdate<PromotionStatus, [OperatorInput]>('abort');
export const advanceUpdate = defineUpdate<PromotionStatus, [OperatorInput]>('advance');

/** One promotion per model at a time: the id is fixed per model, so a second start is refused. */
export function promotionWorkflowId(model: string): string {
  return `promotion-${model}`;
}

export interface RollbackInput {
  model: string;
  /** A version number, or 'previous' (incident rollback). 'candidate' stops a canary/shadow only. */
  to: number | 'previous' | 'candidate';
  actor: string;
  reason: string;
  kind: 'incident' | 'automatic' | 'abort';
  /** Cancel a running promotion of the model (incident rollback); false when the promotion itself asks. */
  cancelPromotion: boolean;
  /** How long to wait for every serving worker to confirm. */
  confirmTimeoutMs?: number;
  /** For incidents from the CLI: the model's config, whose operators may roll back. */
  configPath?: string;
}

export interface RollbackResult {
  model: string;
  from: { champion: number | null; candidate: number | null };
  to: { champion: number | null; candidate: number | null };
  workersConfirmed: { id: string; url: string; confirmedAfterMs: number }[];
  workersUnconfirmed: { id: string; url: string; error: string }[];
  durationMs: number;
}

export function rollbackWorkflowId(model: string, at: Date): string {
  return `rollback-${model}-${at.toISOString().replace(/[-:.]/g, '').slice(0, 15)}`;
}
