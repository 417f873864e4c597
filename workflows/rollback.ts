/**
 * Rollback: routing flips (to the previous champion, a named version, or away from a canary
 * candidate), any running promotion of the model is cancelled, every registered serving worker is
 * polled until it serves the target, and an incident record lands in the audit log. Incident
 * rollback (`ratchet rollback`) and the promotion's automatic rollback are this same workflow.
 */
import { ApplicationFailure, getExternalWorkflowHandle, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { promotionWorkflowId, type RollbackInput, type RollbackResult } from './definitions';

const registry = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 20 },
});

const confirm = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

export async function rollback(input: RollbackInput): Promise<RollbackResult> {
  const started = Date.now();
  setCurrentDetails(`rolling back **${input.model}**: ${input.reason}`);
  if (input.configPath) {
    // An incident rollback from a person: only the model's operators may move production.
    const config = await registry.loadConfig({ configPath: input.configPath, model: input.model });
    if (!config.promotion.operators.includes(input.actor)) {
      throw ApplicationFailure.nonRetryable(`${input.actor} may not roll back ${input.model}; operators: ${config.promotion.operators.join(', ')}`, 'NotAnOperator');
    }
  }
  const flipped = await registry.rollbackRouting.executeWithOptions({ summary: `route ${input.model} to ${input.to}` }, [
    { model: input.model, to: input.to, actor: input.actor, reason: input.reason },
  ]);

  if (input.cancelPromotion) {
    try {
      await getExternalWorkflowHandle(promotionWorkflowId(input.model)).cancel();
    } catch {
      // No promotion running: nothing to cancel.
    }
  }

  const confirmed = await confirm.confirmServing.executeWithOptions({ summary: 'wait for every serving worker to serve the target' }, [
    { model: input.model, champion: flipped.to.champion, candidate: flipped.to.candidate, revision: flipped.revision, timeoutMs: input.confirmTimeoutMs ?? 60_000 },
  ]);
  const result: RollbackResult = {
    model: input.model,
    from: flipped.from,
    to: flipped.to,
    workersConfirmed: confirmed.confirmed,
    workersUnconfirmed: confirmed.unconfirmed,
    durationMs: Date.now() - started,
  };
  await registry.recordIncident({ ...input, result });
  setCurrentDetails(
    `**${input.model}** rolled back to v${result.to.champion} (${result.workersConfirmed.length} serving worker(s) confirmed` +
      `${result.workersUnconfirmed.length ? `, ${result.workersUnconfirmed.length} not` : ''})`,
  );
  return result;
}
