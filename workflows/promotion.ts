/**
 * Promotion of an approved version to champion. One per model at a time: the workflow id is
 * fixed per model (promotionWorkflowId), so a second attempt fails to start while one runs.
 *
 * This is the direct promotion; staged rollout (shadow, canary steps with live analysis and
 * automatic rollback) grows here.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PromotionInput, PromotionResult } from './definitions';

const registry = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

export async function promotion(input: PromotionInput): Promise<PromotionResult> {
  const routing = await registry.promoteToChampion.executeWithOptions({ summary: `make v${input.version} the champion` }, [
    { model: input.model, version: input.version, actor: input.actor, reason: input.reason },
  ]);
  return { model: input.model, version: input.version, outcome: 'promoted', champion: routing.champion, previous: routing.previous };
}
