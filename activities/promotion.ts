/**
 * Promotion and rollback activities: routing changes through registry/lifecycle (atomic,
 * audited), live analysis over the serving worker's prediction log, confirmation that every
 * serving worker serves the target, the incident record, and notifications.
 */
import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { PromotionStage } from '../core/config';
import type { Routing } from '../core/types';
import { predictionLogLocation } from '../data/prediction-log-format';
import { readPredictionLog, type PredictionLog } from '../data/prediction-log';
import { clearCandidate, LifecycleError, rollbackTo, startCandidate } from '../registry/lifecycle';
import { analyzeLive, type LiveArm, type LiveCriteria } from '../validation/live-analysis';
import type { RollbackInput, RollbackResult, StageAnalysis } from '../workflows/definitions';
import { currentWorkflowId, type ActivityDeps } from './deps';
import { postNotification } from './notify';

export interface ArmQuery {
  version: number;
  roles: ('champion' | 'candidate' | 'shadow')[];
  from: string;
  to?: string;
}

export function createPromotionActivities({ paths, store, now = () => new Date() }: ActivityDeps) {
  return {
    /** The activity clock: log windows are real time, whatever the workflow clock says (tests skip it). */
    async clock(_: Record<string, never>): Promise<string> {
      return now().toISOString();
    },

    async startStage(input: { model: string; version: number; stage: PromotionStage; criteria: LiveCriteria; actor: string }): Promise<{ startedAt: string; routing: Routing }> {
      const { model, version, stage } = input;
      const ctx = {
        actor: input.actor,
        reason: `promotion stage ${stage.name}: ${stage.mode} ${stage.percent} %; rollback criteria ${JSON.stringify(input.criteria)}`,
        workflowId: currentWorkflowId(),
      };
      const current = await store.getRouting(model);
      // The stage's window starts when its routing is in force; a retry keeps the original start.
      if (current.candidate === version && current.mode === stage.mode && current.percent === stage.percent) {
        return { startedAt: current.updatedAt, routing: current };
      }
      try {
        const routing =
          current.candidate === version
            ? await store.updateRouting(model, { mode: stage.mode, percent: stage.percent }, ctx)
            : await startCandidate(store, model, version, { mode: stage.mode, percent: stage.percent }, ctx);
        return { startedAt: routing.updatedAt, routing };
      } catch (err) {
        if (err instanceof LifecycleError) throw ApplicationFailure.nonRetryable(err.message, 'LifecycleError');
        throw err;
      }
    },

    async analyzeStage(input: { model: string; baseline: ArmQuery; candidate: ArmQuery; criteria: LiveCriteria }): Promise<StageAnalysis> {
      const location = predictionLogLocation(paths);
      if (location === 'off') throw ApplicationFailure.nonRetryable('the prediction log is off (RATCHET_PREDICTION_LOG=off): live analysis has nothing to read', 'NoPredictionLog');
      const version = await store.getVersion(input.model, input.candidate.version);
      const until = now().toISOString();
      heartbeat({ step: 'reading the prediction log' });
      const [baseline, candidate] = await Promise.all(
        [input.baseline, input.candidate].map((arm) =>
          readPredictionLog({ ...location, model: input.model, from: arm.from, to: arm.to ?? until, roles: arm.roles, versions: [arm.version] }),
        ),
      );
      const result = analyzeLive(toArm(input.baseline.version, baseline!), toArm(input.candidate.version, candidate!), input.criteria, {
        threshold: version.threshold,
        compareLatency: !input.candidate.roles.includes('shadow'),
      });
      const arm = (a: typeof result.baseline) => ({ version: a.version, requests: a.requests, scored: a.scored, errors: a.errors, labelled: a.labelled });
      return { at: until, verdict: result.verdict, baseline: arm(result.baseline), candidate: arm(result.candidate), checks: result.checks };
    },

    async rollbackRouting(input: {
      model: string;
      to: RollbackInput['to'];
      actor: string;
      reason: string;
    }): Promise<{ from: RollbackResult['from']; to: RollbackResult['to']; revision: number }> {
      const before = await store.getRouting(input.model);
      const ctx = { actor: input.actor, reason: input.reason, workflowId: currentWorkflowId() };
      try {
        const after = input.to === 'candidate' ? await clearCandidate(store, input.model, ctx) : await rollbackTo(store, input.model, input.to, ctx);
        return { from: { champion: before.champion, candidate: before.candidate }, to: { champion: after.champion, candidate: after.candidate }, revision: after.revision };
      } catch (err) {
        if (err instanceof LifecycleError) throw ApplicationFailure.nonRetryable(err.message, 'LifecycleError');
        throw err;
      }
    },

    /** Polls every serving worker seen recently until its /readyz serves the target routing. */
    async confirmServing(input: {
      model: string;
      champion: number | null;
      candidate: number | null;
      revision: number;
      timeoutMs: number;
    }): Promise<{ confirmed: RollbackResult['workersConfirmed']; unconfirmed: RollbackResult['workersUnconfirmed'] }> {
      const workers = (await store.listServingWorkers({ seenWithinMs: 60_000 })).filter((w) => w.models.length === 0 || w.models.includes(input.model));
      const started = Date.now();
      const deadline = started + input.timeoutMs;
      const pending = new Map(workers.map((w) => [w.id, { worker: w, error: 'not polled yet' }]));
      const confirmed: RollbackResult['workersConfirmed'] = [];
      while (pending.size > 0 && Date.now() < deadline) {
        heartbeat({ pending: pending.size, confirmed: confirmed.length });
        await Promise.all(
          [...pending.values()].map(async (entry) => {
            try {
              const response = await fetch(`${entry.worker.url}/readyz`, { signal: AbortSignal.timeout(2000) });
              const body = (await response.json()) as { models?: { model: string; loaded: { champion: number | null; candidate: number | null }; appliedRevision: number | null }[] };
              const status = body.models?.find((m) => m.model === input.model);
              if (status && status.loaded.champion === input.champion && status.loaded.candidate === input.candidate) {
                pending.delete(entry.worker.id);
                confirmed.push({ id: entry.worker.id, url: entry.worker.url, confirmedAfterMs: Date.now() - started });
              } else {
                entry.error = status ? `serves champion v${status.loaded.champion}, candidate ${status.loaded.candidate ?? 'none'}` : `does not serve ${input.model}`;
              }
            } catch (err) {
              entry.error = (err as Error).message;
            }
          }),
        );
        if (pending.size > 0) await new Promise((r) => setTimeout(r, 100));
      }
      return { confirmed, unconfirmed: [...pending.values()].map((e) => ({ id: e.worker.id, url: e.worker.url, error: e.error })) };
    },

    async recordIncident(input: RollbackInput & { result: RollbackResult }): Promise<void> {
      const { result } = input;
      await store.recordEvent(input.model, {
        action: 'incident',
        version: result.to.champion ?? undefined,
        details: {
          kind: input.kind,
          from: result.from,
          to: result.to,
          durationMs: result.durationMs,
          workersConfirmed: result.workersConfirmed,
          workersUnconfirmed: result.workersUnconfirmed,
        },
      }, { actor: input.actor, reason: input.reason, workflowId: currentWorkflowId() });
    },

    async notify(input: { model: string; event: string; text: string; details?: Record<string, unknown> }): Promise<void> {
      await postNotification({ ...input, at: now().toISOString() });
    },
  };
}

/** One arm of the comparison: scored requests with their latency and ground truth, plus the failures. */
function toArm(version: number, log: PredictionLog): LiveArm {
  const ok: number[] = [];
  for (let i = 0; i < log.rowCount; i++) if (log.status[i] === 'ok' && !Number.isNaN(log.score[i]!)) ok.push(i);
  return {
    version,
    scores: Float64Array.from(ok, (i) => log.score[i]!),
    latencyMs: Float64Array.from(ok, (i) => log.latencyMs[i]!),
    labels: Float64Array.from(ok, (i) => log.groundTruth[i]!),
    errors: log.rowCount - ok.length,
  };
}
