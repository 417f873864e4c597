/**
 * What the monitor does about one check: pure functions, so the workflow stays a thin loop and
 * the rules are tested without a server.
 *
 * No storm: an alert is raised (webhook, audit record, action) at most once per cool-down, and
 * no run is started or requested while a retraining or rollback of the model is open, or while a
 * request still waits for its human.
 */
import type { OpenRun } from '../activities/monitoring';
import type { MonitorAction } from '../core/config';
import type { HealthLevel } from '../validation/monitoring';
import type { RetrainRequest } from './monitor-definitions';

export type PlannedAction = 'none' | 'request_retrain' | 'retrain' | 'rollback';

export type AlertDecision =
  | { kind: 'quiet' }
  | { kind: 'cooling_down'; until: string }
  | { kind: 'alert'; action: PlannedAction; note: string };

export function decideOnCheck(
  health: { level: HealthLevel; belowMinimum: boolean },
  policy: { action: MonitorAction; cooldownMs: number },
  state: { lastAlertAt: string | null; openRequest: RetrainRequest | null },
  nowMs: number,
): AlertDecision {
  if (health.level !== 'alert') return { kind: 'quiet' };
  if (state.lastAlertAt !== null) {
    const until = Date.parse(state.lastAlertAt) + policy.cooldownMs;
    if (nowMs < until) return { kind: 'cooling_down', until: new Date(until).toISOString() };
  }
  switch (policy.action) {
    case 'notify':
      return { kind: 'alert', action: 'none', note: 'policy action is notify: nothing is started' };
    case 'rollback':
      return health.belowMinimum
        ? { kind: 'alert', action: 'rollback', note: 'live quality is below the minimum: rolling back to the previous champion' }
        : { kind: 'alert', action: 'none', note: 'live AUC is not below min_auc, so no rollback' };
    case 'request_retrain':
      return state.openRequest
        ? { kind: 'alert', action: 'none', note: `a retraining request opened ${state.openRequest.openedAt} still waits for confirmation` }
        : { kind: 'alert', action: 'request_retrain', note: 'a retraining run waits for confirmation: ratchet monitor confirm <model> --as <user>' };
    case 'retrain':
      return { kind: 'alert', action: 'retrain', note: 'starting a retraining run (it waits for approval as usual)' };
  }
}

/** Nothing new starts while a run of the model is open: the open run is the answer to the alert. */
export function holdForOpenRuns(planned: { action: PlannedAction; note: string }, open: readonly OpenRun[]): { action: PlannedAction; note: string } {
  if (planned.action === 'none' || open.length === 0) return planned;
  const names = open.map((r) => `${r.type} ${r.workflowId}`).join(', ');
  return { action: 'none', note: `not starting anything: ${names} is still open` };
}
