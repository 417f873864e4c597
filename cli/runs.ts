/**
 * Client-side operations on retraining runs, shared by the CLI commands and the demo: start a
 * run, follow its stage, approve or reject it.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import {
  approveUpdate,
  FINAL_STAGES,
  overrideUpdate,
  PIPELINE_TASK_QUEUE,
  rejectUpdate,
  statusQuery,
  type RetrainInput,
  type RunStage,
  type RunStatus,
} from '../workflows/definitions';
import type { retrain } from '../workflows/retrain';
import { RATCHET_MODEL, RATCHET_RUN_KIND } from '../workflows/search-attributes';
import { CliError } from './errors';

export function newRunId(model: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `retrain-${model}-${stamp}-${randomBytes(2).toString('hex')}`;
}

export async function startRetrain(client: Client, input: RetrainInput, runId = newRunId(input.model)): Promise<WorkflowHandle<typeof retrain>> {
  return client.workflow.start<typeof retrain>('retrain', {
    workflowId: runId,
    taskQueue: PIPELINE_TASK_QUEUE,
    args: [input],
    staticSummary: `Retrain ${input.model} on data up to ${input.asOf.slice(0, 10)} (started by ${input.initiator})`,
    staticDetails: input.reason ? `Reason: ${input.reason}` : undefined,
    typedSearchAttributes: [
      { key: RATCHET_MODEL, value: input.model },
      { key: RATCHET_RUN_KIND, value: 'retrain' },
    ],
  });
}

export async function runStatus(client: Client, runId: string): Promise<RunStatus> {
  try {
    return await client.workflow.getHandle(runId).query(statusQuery);
  } catch (err) {
    const message = (err as Error).message;
    if (/not found/i.test(message)) throw new CliError(`no run with id ${runId}; list runs in the Temporal UI or with \`temporal workflow list\``);
    throw new CliError(`cannot read the status of ${runId}: ${message}. Is a pipeline worker running? (\`ratchet worker\` or \`ratchet dev\`)`);
  }
}

/** Poll the status query until the run reaches one of `stages` (or ends), reporting each change. */
export async function waitForStage(
  client: Client,
  runId: string,
  stages: readonly RunStage[],
  onChange: (status: RunStatus) => void = () => {},
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<RunStatus> {
  const deadline = Date.now() + (options.timeoutMs ?? 60 * 60_000);
  let last = '';
  for (;;) {
    let status: RunStatus | undefined;
    try {
      status = await client.workflow.getHandle(runId).query(statusQuery);
    } catch (err) {
      // Right after start there may be no workflow task processed yet: the query then fails briefly.
      if (Date.now() > deadline) throw err;
    }
    if (status) {
      const key = `${status.stage}:${status.timeline.length}`;
      if (key !== last) {
        last = key;
        onChange(status);
      }
      if (stages.includes(status.stage) || FINAL_STAGES.includes(status.stage)) return status;
    }
    if (Date.now() > deadline) throw new CliError(`run ${runId} did not reach ${stages.join('/')} in time (last stage: ${status?.stage ?? 'unknown'})`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 400));
  }
}

export async function approveRun(client: Client, runId: string, user: string, comment: string | undefined, artifactSha256?: string): Promise<RunStatus> {
  // The approval names the artifact the approver saw: by default the candidate in this run's report.
  const sha = artifactSha256 ?? (await runStatus(client, runId)).candidate?.sha256;
  if (!sha) throw new CliError(`run ${runId} has no candidate yet; wait until it is awaiting_approval (\`ratchet status ${runId}\`)`);
  return decide(() => client.workflow.getHandle(runId).executeUpdate(approveUpdate, { args: [{ user, comment, artifactSha256: sha }] }));
}

export async function overrideGate(client: Client, runId: string, user: string, gate: string, reason: string): Promise<RunStatus> {
  return decide(() => client.workflow.getHandle(runId).executeUpdate(overrideUpdate, { args: [{ user, gate, reason }] }));
}

export async function rejectRun(client: Client, runId: string, user: string, reason: string): Promise<RunStatus> {
  return decide(() => client.workflow.getHandle(runId).executeUpdate(rejectUpdate, { args: [{ user, reason }] }));
}

async function decide(send: () => Promise<RunStatus>): Promise<RunStatus> {
  try {
    return await send();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause as Error | undefined;
      throw new CliError(`refused: ${cause?.message ?? err.message}`);
    }
    throw err;
  }
}
