/**
 * The monitor: one long-running workflow per model (id `monitor-<model>`). Every interval it
 * checks the champion on its logged traffic (an activity: now-test, drift, estimate, segments,
 * the policy's verdict), and on an alert notifies, records an audit event and acts as the policy
 * says: request a retraining run for a human to confirm (Update confirmRetrain), start one, or
 * roll back when live quality is below the minimum. A cool-down and the open-run check keep it
 * from storming (monitor-policy.ts).
 *
 * The history stays short: after `checksPerRun` checks (or when the server suggests it) the
 * workflow continues as new, carrying its state. Windows end at the workflow clock, so the same
 * history replays to the same windows.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  ParentClosePolicy,
  proxyActivities,
  rootCause,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { MonitorCheck } from '../activities/monitoring';
import type { ModelConfig } from '../core/config';
import { humanDuration } from '../core/duration';
import { rollbackWorkflowId, type OperatorInput } from './definitions';
import {
  confirmRetrainUpdate,
  monitorStatusQuery,
  retrainRunIdAt,
  stopMonitorUpdate,
  type ConfirmRetrainInput,
  type MonitorCarry,
  type MonitorInput,
  type MonitorStatus,
  type StartedRun,
} from './monitor-definitions';
import { decideOnCheck, holdForOpenRuns } from './monitor-policy';
import { retrain } from './retrain';
import { rollback } from './rollback';
import { RATCHET_MODEL, RATCHET_RUN_KIND, RATCHET_VERDICT } from './search-attributes';

const short = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

const checks = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts: 3, nonRetryableErrorTypes: ['NoPredictionLog'] },
});

const DEFAULT_CHECKS_PER_RUN = 200;
const KEEP_RECENT = 48;
const KEEP_STARTED = 20;
const KEEP_EVENTS = 50;
const MONITOR_ACTOR = 'ratchet-monitor';

export async function monitor(input: MonitorInput): Promise<MonitorStatus> {
  const state = new MonitorState(input);
  setHandler(monitorStatusQuery, () => state.status);
  setHandler(confirmRetrainUpdate, (c) => state.confirm(c), { validator: (c) => state.validateConfirm(c) });
  setHandler(stopMonitorUpdate, (op) => state.stop(op), { validator: (op) => state.validateStop(op) });

  const config = await short.loadConfig.executeWithOptions({ summary: 'read the model config' }, [{ configPath: input.configPath, model: input.model }]);
  state.configure(config);
  const perRun = input.checksPerRun ?? DEFAULT_CHECKS_PER_RUN;
  let checksThisRun = 0;
  // A continued run starts where the last one stopped: right after a check.
  let due = input.carried === undefined;
  for (;;) {
    if (!due) {
      state.status.nextCheckAt = new Date(Date.now() + config.monitoring.intervalMs).toISOString();
      if (await condition(() => state.status.stopping !== null, config.monitoring.intervalMs)) break;
    }
    due = false;
    await state.check();
    checksThisRun++;
    if (state.status.stopping) break;
    if (checksThisRun >= perRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      state.log(`continuing as new after ${checksThisRun} checks`);
      // Carry the search attributes explicitly: the next run decides from them whether to index.
      const next = makeContinueAsNewFunc<typeof monitor>(state.indexed ? { typedSearchAttributes: workflowInfo().typedSearchAttributes } : {});
      await next({ ...input, carried: state.carry() });
    }
  }
  state.log(`stopped by ${state.status.stopping?.user}: ${state.status.stopping?.reason}`);
  state.status.nextCheckAt = null;
  await condition(allHandlersFinished);
  return state.status;
}

class MonitorState {
  readonly status: MonitorStatus;
  /** Started with Ratchet's search attributes (see RunState.indexed in retrain.ts). */
  readonly indexed = workflowInfo().typedSearchAttributes.get(RATCHET_MODEL) !== undefined;
  private config: ModelConfig | null = null;
  private confirming = false;

  constructor(private readonly input: MonitorInput) {
    const carried: MonitorCarry = input.carried ?? { checks: 0, generation: 0, lastAlertAt: null, openRequest: null, started: [], recent: [], events: [] };
    this.status = {
      ...carried,
      generation: carried.generation + 1,
      model: input.model,
      action: null,
      intervalMs: null,
      cooldownMs: null,
      level: carried.recent.at(-1)?.level ?? null,
      lastCheck: null,
      nextCheckAt: null,
      stopping: null,
    };
  }

  configure(config: ModelConfig): void {
    this.config = config;
    this.status.action = config.monitoring.action;
    this.status.intervalMs = config.monitoring.intervalMs;
    this.status.cooldownMs = config.monitoring.cooldownMs;
    if (this.status.generation === 1) {
      this.log(`monitoring ${config.model} every ${humanDuration(config.monitoring.intervalMs)}; on alert: ${config.monitoring.action}, cool-down ${humanDuration(config.monitoring.cooldownMs)}`);
    }
  }

  carry(): MonitorCarry {
    const { checks, generation, lastAlertAt, openRequest, started, recent, events } = this.status;
    return { checks, generation, lastAlertAt, openRequest, started, recent, events };
  }

  /** One check and whatever the policy makes of it. */
  async check(): Promise<void> {
    const config = this.config!;
    const at = new Date().toISOString();
    let result: MonitorCheck;
    try {
      result = await checks.checkModel.executeWithOptions({ summary: `check ${config.model} (window ${humanDuration(config.monitoring.windowMs)})` }, [{ config, at }]);
    } catch (err) {
      // A check that keeps failing (log off, snapshot unreadable) must not end the monitor: say so and go on.
      if (!(err instanceof ActivityFailure)) throw err;
      const message = rootCause(err) ?? err.message;
      this.log(`check at ${at} failed: ${message}`);
      setCurrentDetails(`**${config.model}**: the last check failed — ${message}`);
      return;
    }
    this.status.checks++;
    this.status.lastCheck = result;
    if (result.health.level !== this.status.level && this.indexed) upsertSearchAttributes([{ key: RATCHET_VERDICT, value: result.health.level }]);
    this.status.level = result.health.level;
    const summary = this.summarize(result);

    const decision = decideOnCheck(result.health, config.monitoring, this.status, Date.now());
    if (decision.kind === 'cooling_down') summary.outcome = `alert held back: cool-down until ${decision.until}`;
    if (decision.kind === 'alert') {
      let planned: { action: typeof decision.action; note: string } = decision;
      if (planned.action !== 'none') {
        const open = await short.findOpenRuns.executeWithOptions({ summary: 'look for open runs of the model' }, [
          { model: config.model, workflowIds: this.status.started.map((r) => r.workflowId), search: this.indexed, types: ['retrain', 'rollback'] },
        ]);
        planned = holdForOpenRuns(planned, open);
      }
      this.status.lastAlertAt = at;
      const text = `${config.model} v${result.champion?.version ?? '?'} alert: ${result.health.summary}. ${planned.note}`;
      await short.raiseAlert.executeWithOptions({ summary: 'notify and audit the alert' }, [
        { model: config.model, level: 'alert', text, details: { action: planned.action, champion: result.champion?.version ?? null, findings: result.health.findings.filter((f) => f.level === 'alert') } },
      ]);
      summary.outcome = `alert: ${planned.note}`;
      const reason = `monitor alert at ${at}: ${result.health.summary}`;
      if (planned.action === 'request_retrain') {
        this.status.openRequest = { openedAt: at, reason };
        this.log(`retraining requested: ${reason}`);
      } else if (planned.action === 'retrain') {
        summary.outcome = `alert: ${await this.startRetrain(reason, MONITOR_ACTOR)} started`;
      } else if (planned.action === 'rollback') {
        summary.outcome = `alert: ${await this.startRollback(reason)} started`;
      }
    }
    this.status.recent.push(summary);
    if (this.status.recent.length > KEEP_RECENT) this.status.recent.splice(0, this.status.recent.length - KEEP_RECENT);
    setCurrentDetails(`**${config.model}**: ${result.health.level} — ${result.health.summary}${summary.outcome ? `\n\n${summary.outcome}` : ''}`);
  }

  validateConfirm(c: ConfirmRetrainInput): void {
    if (!c?.user) throw new Error('the user is missing (--as USER)');
    if (!this.config) throw new Error('the monitor is starting; retry in a moment');
    const allowed = this.config.promotion.operators;
    if (!allowed.includes(c.user)) throw new Error(`${c.user} may not confirm retraining of ${this.input.model}; operators: ${allowed.join(', ')}`);
    if (!this.status.openRequest) throw new Error(`no retraining request is open for ${this.input.model}`);
    if (this.confirming) throw new Error('the request is being confirmed already');
  }

  async confirm(c: ConfirmRetrainInput): Promise<MonitorStatus> {
    const request = this.status.openRequest!;
    this.confirming = true;
    try {
      const open = await short.findOpenRuns.executeWithOptions({ summary: 'look for open runs of the model' }, [
        { model: this.input.model, workflowIds: this.status.started.map((r) => r.workflowId), search: this.indexed, types: ['retrain'] },
      ]);
      if (open.length) throw ApplicationFailure.create({ message: `retraining run ${open[0]!.workflowId} is still open; confirm again when it has ended`, nonRetryable: true });
      const comment = c.comment ? ` (${c.comment})` : '';
      await this.startRetrain(`${request.reason}; confirmed by ${c.user}${comment}`, c.user);
      this.status.openRequest = null;
      return this.status;
    } finally {
      this.confirming = false;
    }
  }

  validateStop(op: OperatorInput): void {
    if (!op?.user) throw new Error('the operator is missing (--as USER)');
    if (this.config && !this.config.promotion.operators.includes(op.user)) {
      throw new Error(`${op.user} may not stop the monitor of ${this.input.model}; operators: ${this.config.promotion.operators.join(', ')}`);
    }
    if (this.status.stopping) throw new Error(`already stopping (asked by ${this.status.stopping.user})`);
  }

  stop(op: OperatorInput): MonitorStatus {
    this.status.stopping = { user: op.user, reason: op.reason ?? 'stopped by operator' };
    return this.status;
  }

  log(text: string): void {
    this.status.events.push({ at: new Date().toISOString(), text });
    if (this.status.events.length > KEEP_EVENTS) this.status.events.splice(0, this.status.events.length - KEEP_EVENTS);
  }

  private async startRetrain(reason: string, by: string): Promise<string> {
    const config = this.config!;
    const now = new Date();
    const workflowId = retrainRunIdAt(config.model, now);
    try {
      await startChild(retrain, {
        workflowId,
        args: [{ model: config.model, configPath: this.input.configPath, initiator: by, asOf: now.toISOString(), reason }],
        // The run outlives this monitor run (continue-as-new) and waits for approval on its own.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Retrain ${config.model}: requested by the monitor`,
        staticDetails: `Reason: ${reason}`,
        ...(this.indexed ? { typedSearchAttributes: [{ key: RATCHET_MODEL, value: config.model }, { key: RATCHET_RUN_KIND, value: 'retrain' }] } : {}),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw ApplicationFailure.create({ message: `run ${workflowId} already exists`, nonRetryable: true });
      throw err;
    }
    this.remember({ workflowId, kind: 'retrain', at: now.toISOString(), reason, by });
    return workflowId;
  }

  private async startRollback(reason: string): Promise<string> {
    const config = this.config!;
    const now = new Date();
    const workflowId = rollbackWorkflowId(config.model, now);
    await startChild(rollback, {
      workflowId,
      args: [{ model: config.model, to: 'previous', actor: MONITOR_ACTOR, reason, kind: 'automatic', cancelPromotion: true }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `Automatic rollback of ${config.model} by the monitor`,
      staticDetails: `Reason: ${reason}`,
      ...(this.indexed ? { typedSearchAttributes: [{ key: RATCHET_MODEL, value: config.model }, { key: RATCHET_RUN_KIND, value: 'rollback' }] } : {}),
    });
    this.remember({ workflowId, kind: 'rollback', at: now.toISOString(), reason, by: MONITOR_ACTOR });
    return workflowId;
  }

  private remember(run: StartedRun): void {
    this.status.started.push(run);
    if (this.status.started.length > KEEP_STARTED) this.status.started.splice(0, this.status.started.length - KEEP_STARTED);
    this.log(`${run.kind} ${run.workflowId} started by ${run.by}: ${run.reason}`);
  }

  private summarize(result: MonitorCheck): MonitorStatus['recent'][number] {
    return {
      at: result.at,
      level: result.health.level,
      scored: result.traffic.scored,
      labelled: result.nowTest.labelled,
      worst: result.drift?.worst ?? null,
      predictionPsi: result.prediction?.psi ?? null,
      liveAuc: result.nowTest.metrics?.auc ?? null,
    };
  }
}
