/**
 * Names and message shapes of the monitor and the scheduled retraining, shared by the workflows,
 * the worker and the CLI (workflows/definitions.ts holds those of the retraining run itself).
 * Safe to import from workflow code.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { MonitorCheck } from '../activities/monitoring';
import type { MonitorAction } from '../core/config';
import type { HealthLevel } from '../validation/monitoring';
import type { OperatorInput, RunStage } from './definitions';

/** One monitor per model: the id is fixed, so a second `ratchet monitor start` is refused. */
export function monitorWorkflowId(model: string): string {
  return `monitor-${model}`;
}

/** One schedule per model. */
export function retrainScheduleId(model: string): string {
  return `retrain-schedule-${model}`;
}

/** `retrain-<model>-<yyyymmdd-hhmmss>`: the id of a run the scheduler or the monitor starts at `at`. */
export function retrainRunIdAt(model: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `retrain-${model}-${stamp}`;
}

export interface MonitorInput {
  model: string;
  /** Absolute path of the model's YAML config; re-read by every run of the monitor (after continue-as-new). */
  configPath: string;
  /** Checks per workflow run before continue-as-new keeps the history short (default 200). */
  checksPerRun?: number;
  /** State handed over by continue-as-new. */
  carried?: MonitorCarry;
}

/** A retraining the monitor asks a human to confirm (action request_retrain). */
export interface RetrainRequest {
  openedAt: string;
  reason: string;
}

export interface StartedRun {
  workflowId: string;
  kind: 'retrain' | 'rollback';
  at: string;
  reason: string;
  /** 'ratchet-monitor', or the user who confirmed a request. */
  by: string;
}

/** One check in a line, for the status's recent history. */
export interface CheckSummary {
  at: string;
  level: HealthLevel;
  scored: number;
  labelled: number;
  worst: { column: string; psi: number } | null;
  predictionPsi: number | null;
  liveAuc: number | null;
  /** What the check led to, if anything: "alert; retrain-credit-… started", "cool-down until …". */
  outcome?: string;
}

/** Everything the monitor carries from one run to the next. */
export interface MonitorCarry {
  checks: number;
  /** Workflow runs so far (1 + continue-as-new count). */
  generation: number;
  lastAlertAt: string | null;
  openRequest: RetrainRequest | null;
  started: StartedRun[];
  recent: CheckSummary[];
  events: { at: string; text: string }[];
}

export interface MonitorStatus extends MonitorCarry {
  model: string;
  action: MonitorAction | null;
  intervalMs: number | null;
  cooldownMs: number | null;
  level: HealthLevel | null;
  lastCheck: MonitorCheck | null;
  nextCheckAt: string | null;
  stopping: { user: string; reason: string } | null;
}

export interface ConfirmRetrainInput {
  user: string;
  comment?: string;
}

export const monitorStatusQuery = defineQuery<MonitorStatus>('monitorStatus');
/** Starts the retraining run a request_retrain alert asked for; only the model's operators may. */
export const confirmRetrainUpdate = defineUpdate<MonitorStatus, [ConfirmRetrainInput]>('confirmRetrain');
/** Ends the monitor after its current check. */
export const stopMonitorUpdate = defineUpdate<MonitorStatus, [OperatorInput]>('stopMonitor');

export interface ScheduledRetrainInput {
  model: string;
  configPath: string;
  initiator: string;
  /** The schedule's spec, recorded so a run says what started it (and `schedule create` can compare). */
  cron: string;
  timezone: string;
}

export interface ScheduledRetrainResult {
  workflowId: string | null;
  asOf: string;
  stage: RunStage | 'skipped';
  version: number | null;
  note: string;
}
