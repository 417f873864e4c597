/**
 * One retraining run: pull → check → split → train → evaluate → gate → register → approval →
 * promotion. Deterministic: every side effect is an activity, time comes from the input or the
 * workflow clock, and the run's state is kept in one small object that the status query returns.
 */
import {
  ApplicationFailure,
  condition,
  executeChild,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  ParentClosePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { ModelConfig } from '../core/config';
import type { GateResult } from '../core/types';
import {
  approveUpdate,
  FINAL_STAGES,
  overrideUpdate,
  promotionWorkflowId,
  rejectUpdate,
  statusQuery,
  type ApproveInput,
  type OverrideInput,
  type RejectInput,
  type RetrainInput,
  type RunStage,
  type RunStatus,
} from './definitions';
import { promotion } from './promotion';
import { humanDuration } from '../core/duration';
import { RATCHET_CANDIDATE_VERSION, RATCHET_MODEL, RATCHET_STAGE, RATCHET_VERDICT } from './search-attributes';

// Registry, gate and report steps take seconds: a short timeout moves them on quickly after a crash.
const short = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

/**
 * The heartbeat timeout comes from the config. Runs started before `timeouts` existed carry a
 * config without it in their history, so a default keeps their replay deterministic.
 */
function heartbeatTimeout(config: ModelConfig): number {
  return config.timeouts?.heartbeatMs ?? 120_000;
}

/** Data pulls, checks, splits and evaluation heartbeat. */
function dataWork(config: ModelConfig) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '20 minutes',
    heartbeatTimeout: heartbeatTimeout(config),
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5, nonRetryableErrorTypes: ['ArtifactIntegrityError'] },
  });
}

export type RunOutcome = Pick<RunStatus, 'runId' | 'model' | 'stage' | 'gates' | 'blockingFailures' | 'reportPath' | 'decision'> & {
  version: number | null;
};

export async function retrain(input: RetrainInput): Promise<RunOutcome> {
  const run = new RunState(input, workflowInfo().workflowId);
  setHandler(statusQuery, () => run.status);
  setHandler(approveUpdate, (approval) => run.decide({ kind: 'approved', user: approval.user, text: approval.comment ?? '' }), {
    validator: (approval) => run.validateApproval(approval),
  });
  setHandler(
    overrideUpdate,
    async (override) => {
      const updated = await short.overrideGate.executeWithOptions({ summary: `${override.user} overrides ${override.gate}` }, [
        { model: input.model, version: run.status.candidate!.version!, gates: run.status.gates, gate: override.gate, by: override.user, reason: override.reason, admins: run.status.admins },
      ]);
      run.applyGates(updated);
      await run.writeReport?.();
      return run.status;
    },
    { validator: (override) => run.validateOverride(override) },
  );
  setHandler(rejectUpdate, (rejection) => run.decide({ kind: 'rejected', user: rejection.user, text: rejection.reason }), {
    validator: (rejection) => run.validateRejection(rejection),
  });

  try {
    run.enter('pulling');
    const config = await short.loadConfig.executeWithOptions({ summary: 'read the model config' }, [{ configPath: input.configPath, model: input.model }]);
    run.status.approvers = config.approval.approvers;
    run.status.admins = config.approval.admins;
    const snapshot = await dataWork(config).pullData.executeWithOptions({ summary: `pull ${config.model} data up to ${input.asOf}` }, [
      { config, asOf: input.asOf },
    ]);
    run.status.snapshot = { snapshotId: snapshot.snapshotId, rows: snapshot.rows, timeRange: snapshot.timeRange };

    run.enter('checking');
    const checks = await dataWork(config).checkData.executeWithOptions({ summary: `check ${snapshot.rows} rows` }, [{ config, snapshot }]);
    if (!checks.ok) {
      const failed = checks.checks.filter((c) => c.verdict === 'fail').map((c) => c.evidence);
      throw ApplicationFailure.nonRetryable(`data checks failed: ${failed.join('; ')}`, 'DataCheckFailed');
    }
    const split = await dataWork(config).splitData.executeWithOptions({ summary: 'time-based train/valid/holdout split' }, [{ config, snapshot }]);

    run.enter('training');
    const candidate = await trainer(config).trainCandidate.executeWithOptions({ summary: `train ${config.trainer.kind}` }, [
      { runId: run.status.runId, config, split },
    ]);
    run.status.candidate = { version: null, sha256: candidate.sha256, trainer: candidate.trainer };

    run.enter('evaluating');
    const champion = await short.findChampion.executeWithOptions({ summary: 'look up the champion' }, [{ model: config.model }]);
    run.status.champion = champion;
    const evaluation = await dataWork(config).evaluateCandidate.executeWithOptions(
      { summary: champion ? `evaluate against champion v${champion.version}` : 'evaluate (first run: no champion)' },
      [{ runId: run.status.runId, config, split, candidate, champion }],
    );
    run.status.metrics = { candidate: evaluation.candidateMetrics, champion: evaluation.championMetrics };

    run.enter('gating');
    const gates = await short.runGates.executeWithOptions({ summary: 'run the gates' }, [{ config, evaluation, hasChampion: champion !== null }]);
    run.applyGates(gates.results);

    run.enter('registering');
    // A failed blocking gate ends the run, unless the model has admins who may override it with
    // a written reason: then the run waits for an override (and an approval) like any other.
    const blocked = gates.blockingFailures.length > 0 && config.approval.admins.length === 0;
    const version = await short.registerCandidate.executeWithOptions({ summary: blocked ? 'register as rejected' : 'register candidate' }, [
      {
        runId: run.status.runId,
        initiator: input.initiator,
        config,
        snapshot,
        candidate,
        evaluation,
        gates: gates.results,
        status: blocked ? 'rejected' : 'candidate',
      },
    ]);
    run.status.candidate = { ...run.status.candidate, version: version.version };
    run.index([
      { key: RATCHET_CANDIDATE_VERSION, value: version.version },
      { key: RATCHET_VERDICT, value: gates.blockingFailures.length ? 'blocked' : 'passed' },
    ]);
    // The report is rewritten when an admin overrides a gate, so it always shows what is decided on.
    run.writeReport = () =>
      short.writeReport.executeWithOptions({ summary: 'write the HTML report' }, [
        { runId: run.status.runId, config, evaluation, gates: run.status.gates, version: version.version, snapshot, candidate, champion },
      ]);
    run.status.reportPath = await run.writeReport();

    if (blocked) {
      await short.notify({
        model: config.model,
        event: 'gate_failed',
        text: `${config.model} candidate v${version.version} rejected by gates: ${gates.blockingFailures.join(', ')} (report: ${run.status.reportPath})`,
        details: { runId: run.status.runId, version: version.version, gates: gates.blockingFailures },
      });
      return run.finish('rejected', `blocked by ${gates.blockingFailures.join(', ')}`);
    }

    run.enter('awaiting_approval', `report: ${run.status.reportPath}`);
    await short.notify({
      model: config.model,
      event: 'approval_requested',
      text: `${config.model} v${version.version} awaits approval by ${config.approval.approvers.join(' or ')}: ratchet approve ${run.status.runId} --as <user> (report: ${run.status.reportPath})`,
      details: { runId: run.status.runId, version: version.version, reportPath: run.status.reportPath },
    });
    run.status.approvalDeadline = new Date(Date.now() + config.approval.expiryMs).toISOString();
    const decided = await condition(() => run.status.decision !== null, config.approval.expiryMs);
    if (!decided) {
      await short.setVersionStatus({ model: config.model, version: version.version, status: 'rejected', actor: 'ratchet', reason: 'approval expired', workflowId: run.status.runId });
      return run.finish('expired', `no decision within ${humanDuration(config.approval.expiryMs)}`);
    }
    const decision = run.status.decision!;
    run.index([{ key: RATCHET_VERDICT, value: decision.kind }]);
    if (decision.kind === 'rejected') {
      await short.setVersionStatus({ model: config.model, version: version.version, status: 'rejected', actor: decision.user, reason: decision.text, workflowId: run.status.runId });
      return run.finish('rejected', `rejected by ${decision.user}: ${decision.text}`);
    }
    await short.setVersionStatus({
      model: config.model,
      version: version.version,
      status: 'approved',
      actor: decision.user,
      reason: decision.text || 'approved',
      workflowId: run.status.runId,
    });

    run.enter('promoting');
    let promoted;
    try {
      promoted = await executeChild(promotion, {
        workflowId: promotionWorkflowId(config.model),
        args: [{ model: config.model, version: version.version, actor: decision.user, reason: `approved in run ${run.status.runId}`, configPath: input.configPath, runId: run.status.runId }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw ApplicationFailure.nonRetryable(
          `another promotion of ${config.model} is running (workflow ${promotionWorkflowId(config.model)}); wait for it or abort it with \`ratchet promotion abort ${config.model}\``,
          'PromotionAlreadyRunning',
        );
      }
      throw err;
    }
    if (promoted.outcome === 'rolled_back') return run.finish('rolled_back', promoted.reason);
    if (promoted.outcome === 'aborted') return run.finish('rejected', `promotion aborted: ${promoted.reason}`);
    return run.finish('done', `v${version.version} is the champion of ${config.model}`);
  } catch (err) {
    run.fail(err);
    throw err;
  }
}

/** Training gets its timeout from the model's config, so its proxy is made per run. */
function trainer(config: ModelConfig) {
  return proxyActivities<Activities>({
    startToCloseTimeout: config.trainer.timeoutMs + 30_000, // the trainer stops itself first, with a message naming its limit
    heartbeatTimeout: heartbeatTimeout(config),
    retry: { initialInterval: '5s', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: ['InvalidTrainerOutput'] },
  });
}

class RunState {
  readonly status: RunStatus;
  writeReport?: () => Promise<string>;
  /**
   * Runs started with Ratchet's search attributes (the CLI and schedules set them) keep them
   * current; a server that has not registered them (the time-skipping test server) would fail
   * every upsert, and such runs are started without them.
   */
  private readonly indexed = workflowInfo().typedSearchAttributes.get(RATCHET_MODEL) !== undefined;

  index(pairs: Parameters<typeof upsertSearchAttributes>[0] & unknown[]): void {
    if (this.indexed) upsertSearchAttributes(pairs);
  }

  constructor(input: RetrainInput, runId: string) {
    this.status = {
      runId,
      model: input.model,
      stage: 'pulling',
      initiator: input.initiator,
      asOf: input.asOf,
      approvers: [],
      admins: [],
      snapshot: null,
      candidate: null,
      champion: null,
      metrics: null,
      gates: [],
      blockingFailures: [],
      reportPath: null,
      decision: null,
      approvalDeadline: null,
      error: null,
      timeline: [],
    };
  }

  enter(stage: RunStage, note?: string): void {
    this.index([{ key: RATCHET_STAGE, value: stage }]);
    this.status.stage = stage;
    this.status.timeline.push({ stage, startedAt: new Date().toISOString() });
    setCurrentDetails(`**${this.status.model}** run \`${this.status.runId}\`: **${stage}**${note ? ` — ${note}` : ''}`);
  }

  finish(stage: RunStage, note: string): RunOutcome {
    this.enter(stage, note);
    const { runId, model, gates, blockingFailures, reportPath, decision } = this.status;
    return { runId, model, stage, gates, blockingFailures, reportPath, decision, version: this.status.candidate?.version ?? null };
  }

  fail(err: unknown): void {
    const message = err instanceof Error ? rootCause(err) : String(err);
    this.status.error = message;
    this.enter('failed', message);
  }

  validateApproval(approval: ApproveInput): void {
    this.requireDecidable(approval?.user);
    const { approvers, initiator, candidate } = this.status;
    if (!approvers.includes(approval.user)) {
      throw new Error(`${approval.user} is not an approver of ${this.status.model}; approvers: ${approvers.join(', ')}`);
    }
    if (this.status.blockingFailures.length > 0) {
      throw new Error(
        `blocking gate${this.status.blockingFailures.length > 1 ? 's' : ''} failed: ${this.status.blockingFailures.join(', ')}; ` +
          `an admin (${this.status.admins.join(', ')}) may override with \`ratchet override ${this.status.runId} --gate <gate> --as <admin> --reason <text>\``,
      );
    }
    if (approval.user === initiator) {
      throw new Error(`${approval.user} started this run and cannot approve it: four eyes — ask one of ${approvers.filter((a) => a !== initiator).join(', ')}`);
    }
    if (!approval.artifactSha256 || approval.artifactSha256 !== candidate?.sha256) {
      throw new Error(
        `artifact hash mismatch: the approval is for ${approval.artifactSha256?.slice(0, 12) || '(none)'} but the candidate is ${candidate?.sha256.slice(0, 12)}; re-read the report of this run`,
      );
    }
  }

  validateOverride(override: OverrideInput): void {
    this.requireDecidable(override?.user);
    if (!this.status.admins.includes(override.user)) {
      throw new Error(`${override.user} may not override gates of ${this.status.model}; admins: ${this.status.admins.join(', ') || 'none configured'}`);
    }
    if (!override.reason?.trim()) throw new Error('an override needs a written reason (--reason TEXT)');
    const gate = this.status.gates.find((g) => g.gate === override.gate);
    if (!gate) throw new Error(`no gate named ${override.gate}; gates of this run: ${this.status.gates.map((g) => g.gate).join(', ')}`);
    if (gate.verdict !== 'fail') throw new Error(`gate ${override.gate} did not fail (${gate.verdict}): nothing to override`);
    if (gate.override) throw new Error(`gate ${override.gate} was already overridden by ${gate.override.by}`);
  }

  applyGates(gates: GateResult[]): RunStatus {
    this.status.gates = gates;
    this.status.blockingFailures = gates.filter((g) => g.verdict === 'fail' && g.blocking && !g.override).map((g) => g.gate);
    return this.status;
  }

  validateRejection(rejection: RejectInput): void {
    this.requireDecidable(rejection?.user);
    if (!this.status.approvers.includes(rejection.user)) {
      throw new Error(`${rejection.user} is not an approver of ${this.status.model}; approvers: ${this.status.approvers.join(', ')}`);
    }
    if (!rejection.reason?.trim()) throw new Error('a rejection needs a reason (--reason TEXT)');
  }

  decide(decision: { kind: 'approved' | 'rejected'; user: string; text: string }): RunStatus {
    this.status.decision = { ...decision, at: new Date().toISOString() };
    return this.status;
  }

  private requireDecidable(user: string | undefined): void {
    if (!user) throw new Error('the approver is missing (--as USER)');
    if (this.status.decision) throw new Error(`this run was already ${this.status.decision.kind} by ${this.status.decision.user}`);
    if (this.status.stage !== 'awaiting_approval') {
      const when = FINAL_STAGES.includes(this.status.stage) ? 'has ended' : 'is not waiting for approval yet';
      throw new Error(`run ${this.status.runId} ${when} (stage: ${this.status.stage})`);
    }
  }
}

/** Activity failures wrap the real message a few levels deep; people want the innermost one. */
function rootCause(err: Error): string {
  let cur: Error = err;
  while (cur.cause instanceof Error) cur = cur.cause;
  return cur.message;
}
