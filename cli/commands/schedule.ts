/** ratchet schedule create|list|describe|pause|unpause|trigger|delete: weekly retraining per model. */
import type { Command } from 'commander';
import { CliError } from '../errors';
import { paint, table } from '../format';
import { resolveModelConfig } from '../model-config';
import {
  createRetrainSchedule,
  DEFAULT_CRON,
  DEFAULT_TIMEZONE,
  deleteRetrainSchedule,
  describeRetrainSchedule,
  listRetrainSchedules,
  pauseRetrainSchedule,
  triggerRetrainSchedule,
  unpauseRetrainSchedule,
  type ScheduleView,
} from '../schedules';
import { withClient } from '../with-client';
import { print } from './runs';

export function registerScheduleCommands(program: Command): void {
  const group = program.command('schedule').description('weekly retraining runs per model (Temporal Schedules)');

  group
    .command('create')
    .description('create the model\'s retraining schedule, or update it to this spec (idempotent)')
    .argument('<model>')
    .option('--cron <expr>', 'when to run, as a cron expression (minute hour day-of-month month day-of-week)', DEFAULT_CRON)
    .option('--timezone <tz>', 'IANA time zone of the cron expression', DEFAULT_TIMEZONE)
    .option('--config <file>', 'model config YAML (default: $RATCHET_MODELS_DIR/<model>.yaml)')
    .option('--json', 'print JSON')
    .action(async (model: string, opts) => {
      const config = await resolveModelConfig(model, opts.config);
      const cron = String(opts.cron).trim();
      if (cron.split(/\s+/).length < 5 && !cron.startsWith('@')) throw new CliError(`--cron "${cron}" has fewer than 5 fields; e.g. "0 3 * * 1" is Mondays at 03:00`, 2);
      await withClient(async (client) => {
        const result = await createRetrainSchedule(client, { model, configPath: config.configPath, cron, timezone: opts.timezone });
        const view = await describeRetrainSchedule(client, model);
        const said = { created: 'created', unchanged: 'already exists with this spec: unchanged', updated: 'updated to the new spec' }[result.outcome];
        print(opts.json, { ...result, schedule: view }, () => `schedule ${result.scheduleId} ${said}\n${renderSchedule(view)}`);
      });
    });

  group
    .command('list')
    .description('every model\'s retraining schedule')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      await withClient(async (client) => {
        const views = await listRetrainSchedules(client);
        print(opts.json, views, () =>
          views.length
            ? table(
                ['model', 'cron', 'time zone', 'state', 'next run', 'runs', 'skipped'],
                views.map((v) => [v.model, v.cron, v.timezone, v.paused ? paint('paused', 'yellow') : 'active', v.nextRuns[0] ?? '—', String(v.actionsTaken), String(v.skippedOverlap)]),
              )
            : 'no retraining schedules yet: `ratchet schedule create MODEL`',
        );
      });
    });

  group
    .command('describe')
    .description('spec, state, next and recent runs of a model\'s schedule')
    .argument('<model>')
    .option('--json', 'print JSON')
    .action(async (model: string, opts) => {
      await withClient(async (client) => {
        const view = await describeRetrainSchedule(client, model);
        print(opts.json, view, () => renderSchedule(view));
      });
    });

  const simple: [string, string, (client: Parameters<typeof triggerRetrainSchedule>[0], model: string, note: string) => Promise<void>][] = [
    ['pause', 'stop starting runs until unpaused', pauseRetrainSchedule],
    ['unpause', 'start runs on schedule again', unpauseRetrainSchedule],
    ['trigger', 'start a run now (skipped if one is still running)', (client, model) => triggerRetrainSchedule(client, model)],
    ['delete', 'remove the schedule (runs already started go on)', (client, model) => deleteRetrainSchedule(client, model)],
  ];
  for (const [name, description, run] of simple) {
    group
      .command(name)
      .description(description)
      .argument('<model>')
      .option('--note <text>', 'why (pause and unpause: shown with the schedule)', `${name} by ${process.env.USER || 'ratchet'} via the CLI`)
      .option('--json', 'print JSON')
      .action(async (model: string, opts) => {
        await withClient(async (client) => {
          await run(client, model, opts.note);
          print(opts.json, { model, action: name, ok: true }, () => `${name}: ok (${model})`);
        });
      });
  }
}

export function renderSchedule(v: ScheduleView): string {
  const lines = [
    `${paint(v.scheduleId, 'bold')}  ${v.paused ? paint('paused', 'yellow') : paint('active', 'green')}${v.note ? `  (${v.note})` : ''}`,
    `cron "${v.cron}" ${v.timezone}; overlap ${v.overlap}; catch-up window ${v.catchupWindowMs / 3_600_000} h`,
    `config ${v.configPath}`,
    `next: ${v.nextRuns.join(', ') || '—'}`,
    `runs taken ${v.actionsTaken}, skipped (overlap) ${v.skippedOverlap}, missed (catch-up window) ${v.missedCatchupWindow}`,
  ];
  if (v.running.length) lines.push(`running: ${v.running.join(', ')}`);
  if (v.recent.length) lines.push('', table(['scheduled', 'taken', 'workflow'], v.recent.slice(-5).map((r) => [r.scheduledAt, r.takenAt, r.workflowId])));
  return lines.join('\n');
}
