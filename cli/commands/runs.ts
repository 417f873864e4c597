/** retrain, status, approve, reject: the life of one retraining run from the command line. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readCosts, type StageCost } from '../../activities/cost';
import { FINAL_STAGES, type RunStatus } from '../../workflows/definitions';
import { CliError, EXIT } from '../errors';
import { duration, num, paint, StatusLine, table, verdict } from '../format';
import { resolveModelConfig } from '../model-config';
import { approveRun, overrideGate, rejectRun, runStatus, startRetrain, waitForStage } from '../runs';
import { connectClient } from '../temporal-client';

export function registerRunCommands(program: Command): void {
  program
    .command('retrain')
    .description('start a retraining run for a model and print its run id')
    .requiredOption('--model <name>', 'model name')
    .option('--config <file>', 'model config YAML (default: $RATCHET_MODELS_DIR/<model>.yaml)')
    .option('--as <user>', 'who starts the run (cannot approve it)', process.env.USER || 'unknown')
    .option('--as-of <iso>', 'train on the window ending at this time (default: now)')
    .option('--reason <text>', 'why this run was started')
    .option('--wait', 'follow the run until it awaits approval or ends')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const config = await resolveModelConfig(opts.model, opts.config);
      const asOf = opts.asOf ? parseIso(opts.asOf, '--as-of') : new Date().toISOString();
      const { client, close } = await connectClient();
      try {
        const handle = await startRetrain(client, { model: config.model, configPath: config.configPath, initiator: opts.as, asOf, reason: opts.reason });
        if (!opts.wait) {
          print(opts.json, { runId: handle.workflowId }, () => handle.workflowId);
          return;
        }
        if (!opts.json) process.stderr.write(`run ${handle.workflowId}\n`);
        const status = await followRun(client, handle.workflowId, !opts.json);
        print(opts.json, status, () => renderStatus(status));
        if (['failed', 'rejected', 'expired'].includes(status.stage)) process.exitCode = EXIT.failed;
      } finally {
        await close();
      }
    });

  program
    .command('status')
    .description('stage, candidate, gates and report of a run')
    .argument('<run-id>', 'the run id printed by `ratchet retrain`')
    .option('--json', 'print JSON')
    .action(async (runId: string, opts) => {
      const { client, close } = await connectClient();
      try {
        const status = await runStatus(client, runId);
        // The run's folder is on this machine when the CLI runs beside the worker (ratchet dev).
        const costs = status.reportPath ? await readCosts(path.dirname(status.reportPath)) : [];
        print(opts.json, { ...status, costs }, () => [renderStatus(status), renderCosts(costs)].filter(Boolean).join('\n\n'));
      } finally {
        await close();
      }
    });

  program
    .command('report')
    .description("print the path of a run's HTML report, or open it in the browser")
    .argument('<run-id>')
    .option('--open', 'open it with the desktop browser (xdg-open / open)')
    .option('--json', 'print JSON')
    .action(async (runId: string, opts) => {
      const { client, close } = await connectClient();
      try {
        const status = await runStatus(client, runId);
        if (!status.reportPath) throw new CliError(`run ${runId} has no report yet (stage ${status.stage}); reports are written after the gates run`);
        if (!existsSync(status.reportPath)) throw new CliError(`the report ${status.reportPath} is not on this machine: it lives in the pipeline worker's RATCHET_HOME`);
        if (opts.open) {
          const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
          spawn(opener, [status.reportPath], { detached: true, stdio: 'ignore' }).on('error', () => process.stderr.write(`could not start ${opener}; open ${status.reportPath} yourself\n`)).unref();
        }
        print(opts.json, { runId, reportPath: status.reportPath }, () => status.reportPath!);
      } finally {
        await close();
      }
    });

  program
    .command('approve')
    .description('approve the candidate of a run awaiting approval (allow-listed approvers, not the initiator)')
    .argument('<run-id>')
    .requiredOption('--as <user>', 'approver')
    .option('--comment <text>', 'comment recorded with the approval')
    .option('--sha256 <hash>', 'artifact hash you reviewed (default: the candidate in the run report)')
    .option('--json', 'print JSON')
    .action(async (runId: string, opts) => {
      const { client, close } = await connectClient();
      try {
        const status = await approveRun(client, runId, opts.as, opts.comment, opts.sha256);
        print(opts.json, status, () => `${paint('approved', 'green')} ${runId} (v${status.candidate?.version}) by ${opts.as}`);
      } finally {
        await close();
      }
    });

  program
    .command('override')
    .description('an admin passes a failed gate of a run with a written reason (recorded in the registry, report and audit log)')
    .argument('<run-id>')
    .requiredOption('--gate <name>', 'the failed gate, as `ratchet status` names it')
    .requiredOption('--as <user>', 'admin of the model (approval.admins)')
    .requiredOption('--reason <text>', 'why the failure is acceptable')
    .option('--json', 'print JSON')
    .action(async (runId: string, opts) => {
      const { client, close } = await connectClient();
      try {
        const status = await overrideGate(client, runId, opts.as, opts.gate, opts.reason);
        print(opts.json, status, () => `${paint('overridden', 'yellow')} ${opts.gate} of ${runId} by ${opts.as}: ${opts.reason}\n${renderStatus(status)}`);
      } finally {
        await close();
      }
    });

  program
    .command('reject')
    .description('reject the candidate of a run awaiting approval')
    .argument('<run-id>')
    .requiredOption('--as <user>', 'approver')
    .requiredOption('--reason <text>', 'why it is rejected (recorded in the audit log)')
    .option('--json', 'print JSON')
    .action(async (runId: string, opts) => {
      const { client, close } = await connectClient();
      try {
        const status = await rejectRun(client, runId, opts.as, opts.reason);
        print(opts.json, status, () => `${paint('rejected', 'red')} ${runId} by ${opts.as}: ${opts.reason}`);
      } finally {
        await close();
      }
    });
}

/** Show the live stage with elapsed time per stage until the run awaits approval or ends. */
export async function followRun(client: Parameters<typeof waitForStage>[0], runId: string, live: boolean): Promise<RunStatus> {
  const line = new StatusLine();
  let previous: { stage: string; at: number } | null = null;
  const started = Date.now();
  // Redraw the elapsed time only on a terminal; logs and pipes get one line per stage.
  const timer = live && process.stderr.isTTY ? setInterval(() => previous && line.update(stageLine(previous.stage, Date.now() - previous.at, Date.now() - started)), 250) : null;
  try {
    const status = await waitForStage(client, runId, ['awaiting_approval'], (s) => {
      if (previous && live) line.done(`${paint('✓', 'green')} ${previous.stage.padEnd(18)} ${duration(Date.now() - previous.at)}`);
      previous = { stage: s.stage, at: Date.now() };
      if (live) line.update(stageLine(s.stage, 0, Date.now() - started));
    });
    if (live) line.done(stageLine(status.stage, 0, Date.now() - started));
    return status;
  } finally {
    if (timer) clearInterval(timer);
  }
}

function stageLine(stage: string, inStage: number, total: number): string {
  const final = (FINAL_STAGES as readonly string[]).includes(stage) || stage === 'awaiting_approval';
  return `${final ? paint('■', 'blue') : paint('…', 'yellow')} ${stage.padEnd(18)} ${final ? '' : duration(inStage)}  (total ${duration(total)})`;
}

export function renderStatus(s: RunStatus): string {
  const lines = [
    `${paint(s.runId, 'bold')}  model ${s.model}  stage ${stageColor(s.stage)}`,
    `initiator ${s.initiator}   data up to ${s.asOf}`,
  ];
  if (s.snapshot) lines.push(`snapshot ${s.snapshot.snapshotId}: ${s.snapshot.rows} rows ${s.snapshot.timeRange ? `${s.snapshot.timeRange.from} → ${s.snapshot.timeRange.to}` : ''}`);
  if (s.candidate) lines.push(`candidate ${s.candidate.version ? `v${s.candidate.version}` : '(unregistered)'} sha256 ${s.candidate.sha256.slice(0, 16)}… trainer ${s.candidate.trainer}`);
  lines.push(s.champion ? `champion v${s.champion.version}` : 'champion: none yet (first run: absolute gates only)');
  if (s.metrics) {
    const names = Object.keys(s.metrics.candidate);
    lines.push('', table(['metric', 'candidate', 'champion'], names.map((m) => [m, num(s.metrics!.candidate[m]), num(s.metrics!.champion?.[m])])));
  }
  if (s.gates.length) {
    lines.push(
      '',
      table(
        ['gate', 'verdict', 'blocking', 'value', 'threshold', 'evidence'],
        s.gates.map((g) => [g.gate, verdict(g.verdict), g.override ? `overridden by ${g.override.by}` : g.blocking ? 'yes' : 'no', num(g.value), num(g.threshold), g.override ? `${g.evidence} — override: ${g.override.reason}` : g.evidence]),
      ),
    );
  }
  if (s.reportPath) lines.push('', `report: ${s.reportPath}`);
  if (s.stage === 'awaiting_approval' && s.blockingFailures.length) {
    lines.push(paint(`blocked by ${s.blockingFailures.join(', ')}: an admin (${s.admins.join(', ')}) may override:`, 'red'), `  ratchet override ${s.runId} --gate ${s.blockingFailures[0]} --as <admin> --reason <text>`);
  } else if (s.stage === 'awaiting_approval') {
    lines.push(`awaiting approval by ${s.approvers.filter((a) => a !== s.initiator).join(' or ')} until ${s.approvalDeadline}:`, `  ratchet approve ${s.runId} --as <user>`);
  }
  if (s.decision) lines.push(`${s.decision.kind} by ${s.decision.user} at ${s.decision.at}${s.decision.text ? `: ${s.decision.text}` : ''}`);
  if (s.error) lines.push(paint(`error: ${s.error}`, 'red'));
  return lines.join('\n');
}

function stageColor(stage: string): string {
  if (stage === 'done') return paint(stage, 'green');
  if (['failed', 'rejected', 'expired'].includes(stage)) return paint(stage, 'red');
  return paint(stage, 'blue');
}

function renderCosts(costs: StageCost[]): string {
  if (costs.length === 0) return '';
  return table(
    ['stage', 'wall', 'cpu', 'peak rss'],
    costs.map((c) => [c.stage, duration(c.wallMs), duration(c.cpuMs), `${Math.round(c.peakRssBytes / 1048576)} MiB`]),
  );
}

export function print(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

function parseIso(text: string, flag: string): string {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new CliError(`${flag} "${text}" is not a date; use ISO-8601 such as 2026-03-02 or 2026-03-02T00:00:00Z`, 2);
  return date.toISOString();
}
