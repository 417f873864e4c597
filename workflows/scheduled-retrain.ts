/**
 * What a retraining schedule starts: a schedule cannot compute "now" per action, so this small
 * workflow takes the action's time (the schedule's nominal time, else its own start) as the run's
 * asOf and starts the retraining run as a child, `retrain-<model>-<yyyymmdd-hhmmss>`. It waits for
 * the run to end, so the schedule's overlap policy SKIP holds a week's run back while last week's
 * still waits for approval. A run of the model that someone else started and that is still open
 * also makes it skip: two candidates at once would only confuse the approvers.
 */
import { executeChild, ParentClosePolicy, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Activities } from '../activities';
import { retrainRunIdAt, type ScheduledRetrainInput, type ScheduledRetrainResult } from './monitor-definitions';
import { retrain } from './retrain';
import { RATCHET_MODEL, RATCHET_RUN_KIND } from './search-attributes';

/** Set by the server on every workflow a schedule starts: the time the action was due. */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const short = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

export async function scheduledRetrain(input: ScheduledRetrainInput): Promise<ScheduledRetrainResult> {
  const info = workflowInfo();
  const indexed = info.typedSearchAttributes.get(RATCHET_MODEL) !== undefined;
  const actionTime = info.typedSearchAttributes.get(SCHEDULED_START_TIME) ?? info.startTime;
  const asOf = actionTime.toISOString();

  const open = await short.findOpenRuns.executeWithOptions({ summary: `look for open runs of ${input.model}` }, [
    { model: input.model, workflowIds: [], search: indexed, types: ['retrain'] },
  ]);
  if (open.length > 0) {
    const note = `skipped: retraining run ${open[0]!.workflowId} of ${input.model} is still open`;
    setCurrentDetails(note);
    return { workflowId: null, asOf, stage: 'skipped', version: null, note };
  }

  const workflowId = retrainRunIdAt(input.model, actionTime);
  setCurrentDetails(`scheduled run \`${workflowId}\` on data up to ${asOf} (cron \`${input.cron}\` ${input.timezone})`);
  const outcome = await executeChild(retrain, {
    workflowId,
    args: [{ model: input.model, configPath: input.configPath, initiator: input.initiator, asOf, reason: `scheduled (cron "${input.cron}" ${input.timezone})` }],
    // Terminating this wrapper must not take a run that waits for approval with it.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    staticSummary: `Scheduled retrain of ${input.model} on data up to ${asOf.slice(0, 10)}`,
    ...(indexed ? { typedSearchAttributes: [{ key: RATCHET_MODEL, value: input.model }, { key: RATCHET_RUN_KIND, value: 'retrain' }] } : {}),
  });
  const note = `${workflowId} ended ${outcome.stage}${outcome.version ? ` (v${outcome.version})` : ''}`;
  setCurrentDetails(note);
  return { workflowId, asOf, stage: outcome.stage, version: outcome.version, note };
}
