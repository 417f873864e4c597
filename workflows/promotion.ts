/**
 * Staged promotion of an approved version: each stage from the model's config (shadow, canary
 * 5 % → 25 % → 50 %) routes traffic to the candidate, fixes its rollback criteria before it
 * starts, and analyses live traffic every interval. One failed check rolls routing back at once;
 * an undecided check after the stage's minimum duration pauses the stage and asks a human. After
 * the last stage the candidate becomes champion and is watched against the previous one.
 *
 * One promotion per model at a time: the workflow id is fixed per model (promotionWorkflowId).
 */
import {
  condition,
  patched,
  executeChild,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PromotionConfig, PromotionStage } from '../core/config';
import type { LiveCriteria } from '../validation/live-analysis';
import { humanDuration } from '../core/duration';
import {
  abortUpdate,
  advanceUpdate,
  pauseUpdate,
  promotionStatusQuery,
  resumeUpdate,
  rollbackWorkflowId,
  type OperatorInput,
  type PromotionInput,
  type PromotionOutcome,
  type PromotionResult,
  type PromotionStatus,
  type StageAnalysis,
} from './definitions';
import { rollback } from './rollback';

const registry = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

const analysis = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
});

type Command = { kind: 'abort' | 'advance'; user: string; reason: string };

export async function promotion(input: PromotionInput): Promise<PromotionResult> {
  // Handlers first: a query or an operator may arrive before the plan is read.
  const state = new PromotionState(input);
  setHandler(promotionStatusQuery, () => state.status);
  setHandler(pauseUpdate, (op) => state.pause(op.user, op.reason ?? 'paused by operator'), { validator: (op) => state.validate(op, 'pause') });
  setHandler(resumeUpdate, (op) => state.resume(op.user), { validator: (op) => state.validate(op, 'resume') });
  setHandler(abortUpdate, (op) => state.command({ kind: 'abort', user: op.user, reason: op.reason ?? 'aborted by operator' }), {
    validator: (op) => state.validate(op, 'abort'),
  });
  setHandler(advanceUpdate, (op) => state.command({ kind: 'advance', user: op.user, reason: op.reason ?? 'advanced by operator' }), {
    validator: (op) => state.validate(op, 'advance'),
  });

  const config = await registry.loadConfig.executeWithOptions({ summary: 'read the promotion plan' }, [{ configPath: input.configPath, model: input.model }]);
  const plan = config.promotion;
  state.setPlan(plan);

  try {
    const before = await registry.findChampion({ model: input.model });
    state.status.champion = before?.version ?? null;
    // Without a champion there is no traffic to compare against: the first version goes straight in.
    const stages = before ? plan.stages : [];
    if (!before && plan.stages.length) state.log('no champion yet: staged rollout needs a baseline, promoting directly');

    for (const [index, stage] of stages.entries()) {
      const result = await runStage(state, input, plan, stage, index, before!.version);
      if (result) return result;
    }

    const routing = await registry.promoteToChampion.executeWithOptions({ summary: `make v${input.version} the champion` }, [
      { model: input.model, version: input.version, actor: input.actor, reason: input.reason },
    ]);
    state.log(`v${input.version} is champion (previous v${routing.previous ?? '—'})`);

    if (before && plan.watchMs > 0) {
      const result = await watch(state, input, plan, before.version, stages.length ? stages.at(-1)! : null);
      if (result) return result;
    }
    return state.finish('promoted', `v${input.version} promoted`, routing.champion, routing.previous);
  } catch (err) {
    if (isCancellation(err)) state.log('cancelled (an incident rollback took over)');
    throw err;
  }
}

/** Runs one stage; returns a result when the promotion ends during it, null to go on. */
async function runStage(
  state: PromotionState,
  input: PromotionInput,
  plan: PromotionConfig,
  stage: PromotionStage,
  index: number,
  championVersion: number,
): Promise<PromotionResult | null> {
  const criteria = { ...plan.criteria, min_samples: stage.minSamples };
  const started = await registry.startStage.executeWithOptions({ summary: `stage ${stage.name}: ${stage.mode} ${stage.percent} %` }, [
    { model: input.model, version: input.version, stage, criteria, actor: input.actor },
  ]);
  state.enterStage(index, stage, criteria);
  state.logWindowStart = started.startedAt;
  // Added after histories were recorded: patched() keeps those runs replaying as they ran.
  if (patched('notify-stage-start')) {
    await registry.notify({
      model: input.model,
      event: 'promotion_stage',
      text: `${input.model} v${input.version}: stage ${stage.name} started (${stage.mode} ${stage.percent} %)`,
      details: { stage: stage.name, mode: stage.mode, percent: stage.percent, criteria },
    });
  }

  for (;;) {
    const command = await state.waitForTick(plan.analysisIntervalMs);
    if (command?.kind === 'abort') return rollBack(state, input, 'aborted', command.reason, command.user);
    if (command?.kind === 'advance') {
      state.log(`stage ${stage.name} advanced by ${command.user}: ${command.reason}`);
      return null;
    }

    const result = await analysis.analyzeStage.executeWithOptions({ summary: `analyse ${stage.name}` }, [
      {
        model: input.model,
        baseline: { version: championVersion, roles: ['champion'], from: started.startedAt },
        candidate: { version: input.version, roles: stage.mode === 'shadow' ? ['shadow'] : ['candidate'], from: started.startedAt },
        criteria,
      },
    ]);
    state.record(result);
    if (result.verdict === 'fail') {
      const failed = result.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.check}: ${c.evidence}`);
      return rollBack(state, input, 'rolled_back', `stage ${stage.name} failed ${failed.join('; ')}`, 'ratchet');
    }
    const elapsed = state.timeInStage();
    if (elapsed < stage.minDurationMs) continue;
    if (result.verdict === 'pass') {
      state.log(`stage ${stage.name} passed after ${humanDuration(elapsed)} with ${result.candidate.scored} candidate requests`);
      return null;
    }
    // Past the minimum duration and still undecided: a human looks, Ratchet does not guess.
    const why = result.checks.filter((c) => c.verdict === 'inconclusive').map((c) => `${c.check}: ${c.evidence}`).join('; ');
    state.pause('ratchet', `stage ${stage.name} is inconclusive after its minimum duration — ${why}`);
    await registry.notify({ model: input.model, event: 'promotion_paused', text: `Promotion of ${input.model} v${input.version} paused: ${why}` });
  }
}

/** After 100 %: the new champion against the previous one's numbers from the last stage. */
async function watch(
  state: PromotionState,
  input: PromotionInput,
  plan: PromotionConfig,
  previousVersion: number,
  lastStage: PromotionStage | null,
): Promise<PromotionResult | null> {
  // Log windows use the activities' (real) clock: the workflow clock may be skipped ahead in tests.
  const promotedAt = await registry.clock({});
  const baselineFrom = state.logWindowStart ?? promotedAt;
  state.enterWatch(plan.watchMs, lastStage?.minSamples ?? plan.criteria.min_samples, plan.criteria);
  const deadline = Date.now() + plan.watchMs;
  while (Date.now() < deadline) {
    const command = await state.waitForTick(Math.min(plan.analysisIntervalMs, deadline - Date.now()));
    if (command?.kind === 'abort') return rollBack(state, input, 'aborted', command.reason, command.user, 'previous');
    if (command?.kind === 'advance') break;
    const result = await analysis.analyzeStage.executeWithOptions({ summary: 'watch the new champion' }, [
      {
        model: input.model,
        baseline: { version: previousVersion, roles: ['champion'], from: baselineFrom, to: promotedAt },
        candidate: { version: input.version, roles: ['champion'], from: promotedAt },
        criteria: { ...plan.criteria, min_samples: state.status.stage!.minSamples },
      },
    ]);
    state.record(result);
    if (result.verdict === 'fail') {
      const failed = result.checks.filter((c) => c.verdict === 'fail').map((c) => `${c.check}: ${c.evidence}`);
      return rollBack(state, input, 'rolled_back', `watch window failed ${failed.join('; ')}`, 'ratchet', 'previous');
    }
  }
  if (state.status.latest?.verdict !== 'pass') state.log('watch window ended without a decisive pass; the champion stays, see the latest analysis');
  return null;
}

async function rollBack(
  state: PromotionState,
  input: PromotionInput,
  outcome: Exclude<PromotionOutcome, 'promoted'>,
  reason: string,
  actor: string,
  to: 'candidate' | 'previous' = 'candidate',
): Promise<PromotionResult> {
  state.status.phase = 'rolling_back';
  state.log(`${outcome === 'aborted' ? 'aborting' : 'rolling back'}: ${reason}`);
  const result = await executeChild(rollback, {
    workflowId: rollbackWorkflowId(input.model, new Date()),
    args: [{ model: input.model, to, actor, reason, kind: outcome === 'aborted' ? 'abort' : 'automatic', cancelPromotion: false }],
  });
  await registry.setVersionStatus({ model: input.model, version: input.version, status: 'rejected', actor, reason, workflowId: workflowInfo().workflowId });
  await registry.notify({ model: input.model, event: 'rollback', text: `Promotion of ${input.model} v${input.version} ${outcome.replace('_', ' ')}: ${reason}` });
  return state.finish(outcome, reason, result.to.champion, null);
}

class PromotionState {
  readonly status: PromotionStatus;
  private paused = false;
  private pending: Command | null = null;
  private stageStartedAt = 0;
  private plan: PromotionConfig | null = null;
  /** When the current stage's routing took effect, by the activities' clock (prediction log time). */
  logWindowStart: string | null = null;

  constructor(private readonly input: PromotionInput) {
    this.status = {
      model: input.model,
      version: input.version,
      champion: null,
      phase: 'starting',
      stage: null,
      stages: [],
      timeInStageMs: 0,
      pausedReason: null,
      criteria: null,
      latest: null,
      analyses: 0,
      outcome: null,
      reason: null,
      events: [],
    };
  }

  setPlan(plan: PromotionConfig): void {
    this.plan = plan;
    this.status.stages = plan.stages.map((s) => s.name);
  }

  enterStage(index: number, stage: PromotionStage, criteria: LiveCriteria): void {
    this.stageStartedAt = Date.now();
    this.status.phase = 'stage';
    this.status.stage = {
      index,
      name: stage.name,
      mode: stage.mode,
      percent: stage.percent,
      startedAt: new Date(this.stageStartedAt).toISOString(),
      minDurationMs: stage.minDurationMs,
      minSamples: stage.minSamples,
    };
    this.status.criteria = { ...criteria };
    this.status.latest = null;
    this.log(`stage ${stage.name} started: ${stage.mode} ${stage.percent} %, at least ${humanDuration(stage.minDurationMs)} and ${stage.minSamples} requests`);
  }

  enterWatch(watchMs: number, minSamples: number, criteria: LiveCriteria): void {
    this.stageStartedAt = Date.now();
    this.status.phase = 'watching';
    this.status.stage = { index: this.status.stages.length, name: 'watch', mode: 'full', percent: 100, startedAt: new Date(this.stageStartedAt).toISOString(), minDurationMs: watchMs, minSamples };
    this.status.criteria = { ...criteria, min_samples: minSamples };
    this.status.latest = null;
    this.log(`watching v${this.input.version} at 100 % for ${humanDuration(watchMs)}`);
  }

  timeInStage(): number {
    return Date.now() - this.stageStartedAt;
  }

  /** Sleeps one analysis interval, holds while paused, and returns an operator's command if one came. */
  async waitForTick(intervalMs: number): Promise<Command | null> {
    await condition(() => this.pending !== null, Math.max(1, intervalMs));
    if (this.paused) await condition(() => !this.paused || this.pending !== null);
    this.status.timeInStageMs = this.timeInStage();
    const command = this.pending;
    this.pending = null;
    return command;
  }

  record(result: StageAnalysis): void {
    this.status.latest = result;
    this.status.analyses++;
    this.status.timeInStageMs = this.timeInStage();
    const s = this.status.stage;
    setCurrentDetails(
      `**${this.input.model} v${this.input.version}** — ${s?.name} (${s?.mode} ${s?.percent} %): latest analysis **${result.verdict}**, ` +
        `${result.candidate.scored} candidate / ${result.baseline.scored} baseline requests`,
    );
  }

  validate(op: OperatorInput, action: string): void {
    if (!op?.user) throw new Error('the operator is missing (--as USER)');
    if (!this.plan) throw new Error('the promotion is starting: retry in a moment');
    if (!this.plan.operators.includes(op.user)) {
      throw new Error(`${op.user} may not ${action} promotions of ${this.input.model}; operators: ${this.plan.operators.join(', ')}`);
    }
    if (this.status.outcome) throw new Error(`the promotion has ended (${this.status.outcome})`);
    if (this.status.phase === 'rolling_back') throw new Error('the promotion is rolling back');
    if (action === 'pause' && this.paused) throw new Error(`already paused: ${this.status.pausedReason}`);
    if (action === 'resume' && !this.paused) throw new Error('the promotion is not paused');
    if (action === 'advance' && this.status.phase !== 'stage' && this.status.phase !== 'paused' && this.status.phase !== 'watching') {
      throw new Error(`nothing to advance yet (phase ${this.status.phase})`);
    }
  }

  pause(user: string, reason: string): PromotionStatus {
    this.paused = true;
    this.status.phase = 'paused';
    this.status.pausedReason = reason;
    this.log(`paused by ${user}: ${reason}`);
    return this.status;
  }

  resume(user: string): PromotionStatus {
    this.paused = false;
    this.status.phase = this.status.stage?.name === 'watch' ? 'watching' : 'stage';
    this.status.pausedReason = null;
    this.log(`resumed by ${user}`);
    return this.status;
  }

  command(command: Command): PromotionStatus {
    this.pending = command;
    this.paused = false;
    return this.status;
  }

  finish(outcome: PromotionOutcome, reason: string, champion: number | null, _previous: number | null): PromotionResult {
    this.status.phase = 'done';
    this.status.outcome = outcome;
    this.status.reason = reason;
    this.log(`${outcome}: ${reason}`);
    return { model: this.input.model, version: this.input.version, outcome, champion, previous: _previous, reason };
  }

  log(text: string): void {
    this.status.events.push({ at: new Date().toISOString(), text });
    if (this.status.events.length > 200) this.status.events.splice(0, this.status.events.length - 200);
    setCurrentDetails(`**${this.input.model} v${this.input.version}**: ${text}`);
  }
}
