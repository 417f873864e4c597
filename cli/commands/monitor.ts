/** ratchet monitor start|status|stop|confirm: the long-running health check of a model's champion. */
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { humanDuration } from '../../core/duration';
import { PIPELINE_TASK_QUEUE } from '../../workflows/definitions';
import { confirmRetrainUpdate, monitorStatusQuery, monitorWorkflowId, stopMonitorUpdate, type MonitorStatus } from '../../workflows/monitor-definitions';
import type { monitor } from '../../workflows/monitor';
import { RATCHET_MODEL, RATCHET_RUN_KIND } from '../../workflows/search-attributes';
import { CliError } from '../errors';
import { num, paint, table, type Color } from '../format';
import { resolveModelConfig } from '../model-config';
import { withClient } from '../with-client';
import { print } from './runs';

const LEVEL_COLOR: Record<string, Color> = { ok: 'green', warn: 'yellow', alert: 'red', insufficient_data: 'grey' };

export function registerMonitorCommands(program: Command): void {
  const group = program.command('monitor').description('continuous monitoring of a model in production: drift, live quality, alerts');

  group
    .command('start')
    .description('start the model\'s monitor (one per model; it runs until stopped)')
    .argument('<model>')
    .option('--config <file>', 'model config YAML (its monitoring: section sets interval, windows and policy)')
    .option('--json', 'print JSON')
    .action(async (model: string, opts) => {
      const config = await resolveModelConfig(model, opts.config);
      await withClient(async (client) => {
        try {
          const handle = await client.workflow.start<typeof monitor>('monitor', {
            workflowId: monitorWorkflowId(model),
            taskQueue: PIPELINE_TASK_QUEUE,
            workflowIdConflictPolicy: 'FAIL',
            args: [{ model, configPath: config.configPath }],
            staticSummary: `Monitor ${model} every ${humanDuration(config.monitoring.intervalMs)} (on alert: ${config.monitoring.action})`,
            typedSearchAttributes: [
              { key: RATCHET_MODEL, value: model },
              { key: RATCHET_RUN_KIND, value: 'monitor' },
            ],
          });
          print(opts.json, { workflowId: handle.workflowId }, () => `monitor of ${model} started: ${handle.workflowId} (first check now, then every ${humanDuration(config.monitoring.intervalMs)})`);
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) throw new CliError(`the monitor of ${model} is already running (${monitorWorkflowId(model)}); see \`ratchet monitor status ${model}\``);
          throw err;
        }
      });
    });

  group
    .command('status')
    .description('the latest check: traffic, label coverage, live quality, drift, estimate, segments; recent checks and actions')
    .argument('<model>')
    .option('--json', 'print JSON')
    .action(async (model: string, opts) => {
      await withClient(async (client) => {
        const status = await client.workflow.getHandle(monitorWorkflowId(model)).query(monitorStatusQuery).catch((err: Error) => {
          throw new CliError(`no monitor of ${model} to ask (${err.message.split('\n')[0]}); start one with \`ratchet monitor start ${model}\``);
        });
        print(opts.json, status, () => renderMonitor(status));
      });
    });

  group
    .command('stop')
    .description('stop the model\'s monitor after its current check (operators only)')
    .argument('<model>')
    .requiredOption('--as <user>', 'operator')
    .option('--reason <text>', 'recorded with the stop')
    .option('--json', 'print JSON')
    .action(async (model: string, opts) => {
      await withClient(async (client) => {
        const status = await update(client, model, () => client.workflow.getHandle(monitorWorkflowId(model)).executeUpdate(stopMonitorUpdate, { args: [{ user: opts.as, reason: opts.reason }] }));
        print(opts.json, status, () => `monitor of ${model} stopping (asked by ${opts.as})`);
      });
    });

  group
    .command('confirm')
    .description('start the retraining run an alert requested (policy action request_retrain; operators only)')
    .argument('<model>')
    .requiredOption('--as <user>', 'operator')
    .option('--comment <text>', 'recorded in the run\'s reason')
    .option('--json', 'print JSON')
    .action(async (model: string, opts) => {
      await withClient(async (client) => {
        const status = await update(client, model, () => client.workflow.getHandle(monitorWorkflowId(model)).executeUpdate(confirmRetrainUpdate, { args: [{ user: opts.as, comment: opts.comment }] }));
        const run = status.started.at(-1);
        print(opts.json, status, () => `retraining of ${model} confirmed by ${opts.as}: ${run?.workflowId} started (follow it with \`ratchet status ${run?.workflowId}\`)`);
      });
    });
}

async function update(client: Client, model: string, send: () => Promise<MonitorStatus>): Promise<MonitorStatus> {
  try {
    return await send();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new CliError(`refused: ${(err.cause as Error | undefined)?.message ?? err.message}`);
    if (/not found/i.test((err as Error).message)) throw new CliError(`no monitor of ${model} is running; start one with \`ratchet monitor start ${model}\``);
    throw err;
  }
}

export function renderMonitor(s: MonitorStatus): string {
  const level = s.level ? paint(s.level.toUpperCase(), LEVEL_COLOR[s.level] ?? 'grey') : '—';
  const lines = [
    `${paint(`monitor ${s.model}`, 'bold')}  ${level}  ${s.checks} checks` +
      `${s.intervalMs ? ` every ${humanDuration(s.intervalMs)}` : ''}; on alert: ${s.action ?? '—'}, cool-down ${s.cooldownMs ? humanDuration(s.cooldownMs) : '—'}`,
    `next check ${s.nextCheckAt ?? '—'}; last alert ${s.lastAlertAt ?? 'never'}${s.stopping ? paint(`; stopping (${s.stopping.user}: ${s.stopping.reason})`, 'yellow') : ''}`,
  ];
  if (s.openRequest) lines.push(paint(`retraining requested ${s.openRequest.openedAt}: ${s.openRequest.reason}`, 'yellow'), `  confirm: ratchet monitor confirm ${s.model} --as <operator>`);
  const c = s.lastCheck;
  if (c) {
    lines.push('', paint(`latest check ${c.at}`, 'bold') + (c.champion ? ` — champion v${c.champion.version}` : ''));
    lines.push(`traffic (window from ${c.window.from}): ${c.traffic.scored} scored, ${c.traffic.errors} errors`);
    const cov = c.nowTest.coverage;
    lines.push(
      `now-test (labels from ${c.labelWindow.from}): ${c.nowTest.labelled}/${c.nowTest.rows} labelled (${num(cov.share * 100, 1)} %; ${cov.byRequestId} by request id, ${cov.byEntityId} by entity id)` +
        ` — live AUC ${num(c.nowTest.metrics?.auc ?? null)} vs holdout ${num(c.champion?.holdoutAuc ?? null)}`,
    );
    if (c.prediction) lines.push(`prediction drift: PSI ${num(c.prediction.psi)} (${c.prediction.verdict})`);
    if (c.estimate) lines.push(`estimate (CBPE, ${c.estimate.rows} unlabelled requests — an estimate, not a measurement): AUC ${num(c.estimate.auc)}, accuracy ${num(c.estimate.accuracy)}`);
    lines.push('', table(['check', 'level', 'value', 'warn', 'alert', 'evidence'], c.health.findings.map((f) => [f.check, f.level, num(f.value), num(f.warn), num(f.alert), f.evidence])));
    if (c.drift) {
      const columns = [...c.drift.columns].sort((a, b) => (b.psi ?? -1) - (a.psi ?? -1)).slice(0, 5);
      lines.push('', table(['feature', 'psi', 'verdict'], columns.map((d) => [d.column, num(d.psi), d.verdict])));
    }
    if (c.segments.breakdown.length) {
      lines.push(
        '',
        table(
          ['segment', 'value', 'rows', 'share', 'ref share', 'pos rate', 'worst feature', 'psi', 'labelled', 'auc'],
          c.segments.breakdown.map((g) => [g.column, g.value, String(g.rows), num(g.share, 3), num(g.reference_share, 3), num(g.positive_rate, 3), g.worst?.column ?? '—', num(g.worst?.psi ?? null), String(g.labelled), num(g.auc)]),
        ),
      );
    }
    for (const u of c.segments.unavailable) lines.push(paint(`segment ${u.column}: ${u.reason}`, 'grey'));
    for (const note of c.notes) lines.push(paint(`note: ${note}`, 'grey'));
  }
  if (s.recent.length) {
    lines.push('', table(['at', 'level', 'scored', 'labelled', 'worst feature', 'psi', 'pred psi', 'live auc', 'outcome'], s.recent.slice(-12).map((r) => [r.at, r.level, String(r.scored), String(r.labelled), r.worst?.column ?? '—', num(r.worst?.psi ?? null), num(r.predictionPsi), num(r.liveAuc), r.outcome ?? ''])));
  }
  if (s.started.length) lines.push('', ...s.started.map((r) => `${r.at}  ${r.kind} ${r.workflowId} (by ${r.by})`));
  return lines.join('\n');
}
