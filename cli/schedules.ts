/**
 * Weekly retraining as Temporal Schedules, one per model (`retrain-schedule-<model>`). Each action
 * starts the small `scheduledRetrain` workflow, which turns the action's time into the run's asOf
 * (a schedule cannot compute "now" per action) and starts the retraining run as its child.
 *
 * Policies: overlap SKIP (no second run while the last one still runs or waits for approval),
 * an explicit catch-up window of one day (a server down over the scheduled time still starts the
 * run when it is back the same day; a longer outage waits for next week or `schedule trigger`),
 * and no pause on failure (a failed week must not silence the following ones).
 *
 * Creating is idempotent: the same spec again changes nothing and says so; another spec updates
 * the schedule in place (keeping its paused state and history).
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import { PIPELINE_TASK_QUEUE } from '../workflows/definitions';
import { retrainScheduleId, type ScheduledRetrainInput } from '../workflows/monitor-definitions';
import type { scheduledRetrain } from '../workflows/scheduled-retrain';
import { RATCHET_MODEL, RATCHET_RUN_KIND } from '../workflows/search-attributes';
import { CliError } from './errors';

export const DEFAULT_CRON = '0 3 * * 1'; // Mondays 03:00
export const DEFAULT_TIMEZONE = 'UTC';
export const CATCHUP_WINDOW_MS = 24 * 3_600_000;
const SCHEDULE_PREFIX = 'retrain-schedule-';

export interface RetrainScheduleSpec {
  model: string;
  configPath: string;
  cron?: string;
  timezone?: string;
  /** Who the runs name as initiator (they may not approve their own run). */
  initiator?: string;
  taskQueue?: string;
}

export type CreateOutcome = 'created' | 'unchanged' | 'updated';

export interface ScheduleView {
  scheduleId: string;
  model: string;
  cron: string;
  timezone: string;
  configPath: string;
  paused: boolean;
  note: string | null;
  nextRuns: string[];
  recent: { scheduledAt: string; takenAt: string; workflowId: string }[];
  running: string[];
  actionsTaken: number;
  skippedOverlap: number;
  missedCatchupWindow: number;
  catchupWindowMs: number;
  overlap: string;
}

function scheduleOptions(spec: RetrainScheduleSpec): ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof scheduledRetrain>> {
  const input: ScheduledRetrainInput = {
    model: spec.model,
    configPath: spec.configPath,
    initiator: spec.initiator ?? 'scheduler',
    cron: spec.cron ?? DEFAULT_CRON,
    timezone: spec.timezone ?? DEFAULT_TIMEZONE,
  };
  const attributes = [
    { key: RATCHET_MODEL, value: spec.model },
    { key: RATCHET_RUN_KIND, value: 'schedule' },
  ];
  return {
    scheduleId: retrainScheduleId(spec.model),
    spec: { cronExpressions: [input.cron], timezone: input.timezone },
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledRetrain',
      // The server appends the action's time, so every week gets its own id.
      workflowId: `scheduled-retrain-${spec.model}`,
      taskQueue: spec.taskQueue ?? PIPELINE_TASK_QUEUE,
      args: [input],
      typedSearchAttributes: attributes,
      staticSummary: `Scheduled retraining of ${spec.model} (cron "${input.cron}" ${input.timezone})`,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW_MS, pauseOnFailure: false },
    typedSearchAttributes: attributes,
  };
}

/** Creates the model's schedule, or updates it when its spec differs; says which. */
export async function createRetrainSchedule(client: Client, spec: RetrainScheduleSpec): Promise<{ scheduleId: string; outcome: CreateOutcome }> {
  const options = scheduleOptions(spec);
  try {
    await client.schedule.create(options);
    return { scheduleId: options.scheduleId, outcome: 'created' };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw asCliError(err, spec.cron);
  }
  const handle = client.schedule.getHandle(options.scheduleId);
  const current = await handle.describe();
  if (sameSpec(current, options)) return { scheduleId: options.scheduleId, outcome: 'unchanged' };
  const { scheduleId: _id, ...update } = options;
  try {
    await handle.update((previous) => ({ ...update, state: { paused: previous.state.paused, note: previous.state.note } }));
  } catch (err) {
    throw asCliError(err, spec.cron);
  }
  return { scheduleId: options.scheduleId, outcome: 'updated' };
}

/** The spec a schedule was created with is its action's input (cron, time zone, config) plus its policies. */
function sameSpec(current: ScheduleDescription, wanted: ReturnType<typeof scheduleOptions>): boolean {
  const action = current.action;
  return (
    action.workflowType === wanted.action.workflowType &&
    action.taskQueue === wanted.action.taskQueue &&
    JSON.stringify(action.args?.[0]) === JSON.stringify(wanted.action.args[0]) &&
    current.policies.overlap === wanted.policies!.overlap &&
    current.policies.catchupWindow === wanted.policies!.catchupWindow
  );
}

export async function describeRetrainSchedule(client: Client, model: string): Promise<ScheduleView> {
  return view(await withSchedule(client, model, (handle) => handle.describe()));
}

export async function listRetrainSchedules(client: Client): Promise<ScheduleView[]> {
  const views: ScheduleView[] = [];
  for await (const summary of client.schedule.list()) {
    if (!summary.scheduleId.startsWith(SCHEDULE_PREFIX)) continue;
    try {
      views.push(view(await client.schedule.getHandle(summary.scheduleId).describe()));
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err; // deleted meanwhile: listing is eventually consistent
    }
  }
  return views.sort((a, b) => (a.model < b.model ? -1 : 1));
}

export async function pauseRetrainSchedule(client: Client, model: string, note: string): Promise<void> {
  await withSchedule(client, model, (handle) => handle.pause(note));
}

export async function unpauseRetrainSchedule(client: Client, model: string, note: string): Promise<void> {
  await withSchedule(client, model, (handle) => handle.unpause(note));
}

/** Starts an action now, under the schedule's own overlap policy (SKIP), not the SDK's default ALLOW_ALL. */
export async function triggerRetrainSchedule(client: Client, model: string): Promise<void> {
  await withSchedule(client, model, (handle) => handle.trigger(ScheduleOverlapPolicy.SKIP));
}

export async function deleteRetrainSchedule(client: Client, model: string): Promise<void> {
  await withSchedule(client, model, (handle) => handle.delete());
}

async function withSchedule<T>(client: Client, model: string, fn: (handle: ScheduleHandle) => Promise<T>): Promise<T> {
  try {
    return await fn(client.schedule.getHandle(retrainScheduleId(model)));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) {
      throw new CliError(`no retraining schedule for ${model}; create one with \`ratchet schedule create ${model}\``);
    }
    throw err;
  }
}

function view(d: ScheduleDescription): ScheduleView {
  const input = (d.action.args?.[0] ?? {}) as Partial<ScheduledRetrainInput>;
  return {
    scheduleId: d.scheduleId,
    model: input.model ?? d.scheduleId.slice(SCHEDULE_PREFIX.length),
    cron: input.cron ?? '?',
    timezone: input.timezone ?? d.spec.timezone ?? 'UTC',
    configPath: input.configPath ?? '?',
    paused: d.state.paused,
    note: d.state.note ?? null,
    nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    recent: d.info.recentActions.map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), takenAt: a.takenAt.toISOString(), workflowId: a.action.workflow.workflowId })),
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    actionsTaken: d.info.numActionsTaken,
    skippedOverlap: d.info.numActionsSkippedOverlap,
    missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
    catchupWindowMs: d.policies.catchupWindow,
    overlap: d.policies.overlap ?? 'SKIP',
  };
}

/** The server's word on a bad cron or time zone, as a usage error. */
function asCliError(err: unknown, cron: string | undefined): unknown {
  const message = (err as Error)?.message ?? String(err);
  if (/invalid|cron|time ?zone|location/i.test(message)) {
    return new CliError(`the schedule was refused: ${message.split('\n')[0]} (cron "${cron ?? DEFAULT_CRON}"; use 5 fields such as "0 3 * * 1" and an IANA zone such as Europe/Berlin)`, 2);
  }
  return err;
}
