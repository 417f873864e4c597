/** ratchet promotion start|status|pause|resume|abort|advance and ratchet rollback. */
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import {
  abortUpdate,
  advanceUpdate,
  pauseUpdate,
  PIPELINE_TASK_QUEUE,
  promotionStatusQuery,
  promotionWorkflowId,
  resumeUpdate,
  rollbackWorkflowId,
  type PromotionStatus,
  type RollbackResult,
} from '../../workflows/definitions';
import type { promotion } from '../../workflows/promotion';
import type { rollback } from '../../workflows/rollback';
import { CliError } from '../errors';
import { duration, paint, table } from '../format';
import { resolveModelConfig } from '../model-config';
import { connectClient } from '../temporal-client';
import { print } from './runs';

const OPERATIONS = { pause: pauseUpdate, resume: resumeUpdate, abort: abortUpdate, advance: advanceUpdate } as const;

export function registerPromotionCommands(program: Command): void {
  const group = program.command('promotion').description('staged promotions: start, inspect, pause, resume, abort, advance');

  group
    .command('start')
    .description('promote a registered, approved version through the configured stages')
    .argument('<model>')
    .requiredOption('--version <n>', 'version to promote')
    .requiredOption('--as <user>', 'who starts it (recorded on every routing change)')
    .option('--config <file>', 'model config YAML')
    .option('--reason <text>', 'why', 'manual promotion')
    .option('--json', 'print JSON')
    .action(async (model: string, opts) => {
      const config = await resolveModelConfig(model, opts.config);
      await withClient(async (client) => {
        try {
          const handle = await client.workflow.start<typeof promotion>('promotion', {
            workflowId: promotionWorkflowId(model),
            taskQueue: PIPELINE_TASK_QUEUE,
            workflowIdConflictPolicy: 'FAIL',
            args: [{ model, version: Number(opts.version), actor: opts.as, reason: opts.reason, configPath: config.configPath }],
            staticSummary: `Promote ${model} v${opts.version} (started by ${opts.as})`,
          });
          print(opts.json, { workflowId: handle.workflowId }, () => `promotion of ${model} v${opts.version} started: ${handle.workflowId}`);
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            throw new CliError(`a promotion of ${model} is already running (workflow ${promotionWorkflowId(model)}); see \`ratchet promotion status ${model}\` or abort it first`);
          }
          throw err;
        }
      });
    });

  group
    .command('status')
    .description('stage, time in stage, sample counts and the latest analysis')
    .argument('<model>')
    .option('--json', 'print JSON')
    .action(async (model: string, opts) => {
      await withClient(async (client) => {
        const status = await client.workflow.getHandle(promotionWorkflowId(model)).query(promotionStatusQuery).catch((err: Error) => {
          throw new CliError(`no promotion of ${model} to inspect (${err.message.split('\n')[0]})`);
        });
        print(opts.json, status, () => renderPromotion(status));
      });
    });

  for (const [name, update] of Object.entries(OPERATIONS)) {
    group
      .command(name)
      .description(`${name} the running promotion of a model (operators only)`)
      .argument('<model>')
      .requiredOption('--as <user>', 'operator')
      .option('--reason <text>', 'recorded with the action')
      .option('--json', 'print JSON')
      .action(async (model: string, opts) => {
        await withClient(async (client) => {
          try {
            const status = await client.workflow.getHandle(promotionWorkflowId(model)).executeUpdate(update, { args: [{ user: opts.as, reason: opts.reason }] });
            print(opts.json, status, () => `${name}: ok\n${renderPromotion(status)}`);
          } catch (err) {
            if (err instanceof WorkflowUpdateFailedError) throw new CliError(`refused: ${(err.cause as Error | undefined)?.message ?? err.message}`);
            throw err;
          }
        });
      });
  }

  program
    .command('rollback')
    .description('incident rollback: route to the previous (or a named) version, cancel any promotion, confirm every serving worker')
    .argument('<model>')
    .option('--to <version>', 'version to roll back to (default: previous)')
    .requiredOption('--as <user>', 'on-call engineer (must be an operator of the model)')
    .requiredOption('--reason <text>', 'why (recorded in the incident)')
    .option('--config <file>', 'model config YAML')
    .option('--json', 'print JSON')
    .action(async (model: string, opts) => {
      const config = await resolveModelConfig(model, opts.config);
      await withClient(async (client) => {
        const started = Date.now();
        const result: RollbackResult = await client.workflow.execute<typeof rollback>('rollback', {
          workflowId: rollbackWorkflowId(model, new Date()),
          taskQueue: PIPELINE_TASK_QUEUE,
          args: [{ model, to: opts.to ? Number(opts.to) : 'previous', actor: opts.as, reason: opts.reason, kind: 'incident', cancelPromotion: true, configPath: config.configPath }],
          staticSummary: `Incident rollback of ${model} by ${opts.as}: ${opts.reason}`,
        });
        print(opts.json, result, () =>
          [
            `${paint('rolled back', 'yellow')} ${model}: champion v${result.from.champion} → v${result.to.champion} in ${duration(Date.now() - started)}`,
            ...result.workersConfirmed.map((w) => `  ✓ ${w.id} ${w.url} after ${duration(w.confirmedAfterMs)}`),
            ...result.workersUnconfirmed.map((w) => paint(`  ✗ ${w.id} ${w.url}: ${w.error}`, 'red')),
          ].join('\n'),
        );
        if (result.workersUnconfirmed.length) process.exitCode = 1;
      });
    });
}

async function withClient(fn: (client: Client) => Promise<void>): Promise<void> {
  const { client, close } = await connectClient();
  try {
    await fn(client);
  } finally {
    await close();
  }
}

function renderPromotion(s: PromotionStatus): string {
  const lines = [`${paint(`${s.model} v${s.version}`, 'bold')}  phase ${s.phase}${s.outcome ? `  outcome ${s.outcome}: ${s.reason}` : ''}`];
  lines.push(`stages ${s.stages.join(' → ')} → champion${s.champion ? ` (replacing v${s.champion})` : ''}`);
  if (s.stage) lines.push(`current ${s.stage.name} (${s.stage.mode} ${s.stage.percent} %) for ${duration(s.timeInStageMs)} of at least ${duration(s.stage.minDurationMs)}, ${s.stage.minSamples} requests`);
  if (s.pausedReason) lines.push(paint(`paused: ${s.pausedReason}`, 'yellow'));
  if (s.latest) {
    lines.push(`latest analysis ${s.latest.at}: ${s.latest.verdict} — candidate ${s.latest.candidate.scored} scored, baseline ${s.latest.baseline.scored}`);
    lines.push(table(['check', 'verdict', 'value', 'threshold', 'evidence'], s.latest.checks.map((c) => [c.check, c.verdict, c.value === null ? '—' : String(Number(c.value.toFixed(4))), c.threshold === null ? '—' : String(c.threshold), c.evidence])));
  }
  lines.push('', ...s.events.slice(-8).map((e) => `  ${e.at}  ${e.text}`));
  return lines.join('\n');
}
