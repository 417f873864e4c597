/**
 * The end-to-end demo (the README's first command): embedded stack, demo data, a first run that
 * becomes champion, a second run on later (drifted) data judged against it, predictions from
 * the serving worker before and after, and a summary.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ratchetPaths } from '../../core/paths';
import type { FeatureRow } from '../../core/types';
import { withDuckDB } from '../../data/duckdb';
import { DEMO_DEFAULTS, generateDemoData, weekFileName } from '../../examples/demo-data/generate';
import type { Client } from '@temporalio/client';
import { promotionStatusQuery, promotionWorkflowId, type RunStatus } from '../../workflows/definitions';
import { CliError } from '../errors';
import { duration, num, paint, table, verdict } from '../format';
import { resolveModelConfig } from '../model-config';
import { approveRun, startRetrain, waitForStage } from '../runs';
import { startStack } from '../stack';
import { connectClient } from '../temporal-client';
import { followRun } from './runs';

const WEEK_MS = 7 * 86_400_000;
const DEMO_HOME = path.resolve('.ratchet/demo');
const DEMO_CONFIG = path.resolve('examples/credit/credit.yaml');
const INITIATOR = 'scheduler';
const APPROVERS = ['alice', 'bob'];

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the end-to-end demo on the embedded stack and print a summary')
    .option('--port <port>', 'serving worker port', '8080')
    .option('--keep-running', 'leave the stack up after the summary (Ctrl-C to stop)')
    .action(async (opts) => {
      const started = Date.now();
      // The demo keeps its own state folder and starts from an empty registry every time, so a
      // re-run tells the same story (first run without a champion) and never touches real work.
      const paths = ratchetPaths(DEMO_HOME);
      const say = (line: string) => process.stderr.write(`${paint('▸', 'blue')} ${line}\n`);
      // Its own Temporal history too (unless it uses an external server): an interrupted earlier demo
      // may have left a promotion of the model running, and there is one per model at a time.
      const state = [paths.registry, paths.runs, paths.snapshots, paths.splits, paths.logs, ...(process.env.TEMPORAL_ADDRESS ? [] : [paths.temporal])];
      for (const dir of state) await rm(dir, { recursive: true, force: true });

      const dataDir = path.join(paths.home, 'data');
      if (!existsSync(path.join(dataDir, weekFileName(DEMO_DEFAULTS.weeks)))) {
        say(`generating the demo dataset (${DEMO_DEFAULTS.rows.toLocaleString()} credit applications over ${DEMO_DEFAULTS.weeks} weeks) into ${rel(dataDir)}`);
        await generateDemoData({ outDir: dataDir, onProgress: (p) => process.stderr.write(`\r  week ${p.week}/${p.weeks}`) });
        process.stderr.write('\n');
      } else {
        say(`demo dataset already in ${rel(dataDir)}`);
      }
      const config = await resolveModelConfig('credit', DEMO_CONFIG);

      const stack = await startStack({ paths, serving: { port: Number(opts.port) }, log: say });
      const { client, close } = await connectClient({ address: stack.address, namespace: stack.namespace });
      try {
        const start = new Date(`${DEMO_DEFAULTS.start}T00:00:00Z`).getTime();
        const runs: RunStatus[] = [];
        const predictions: { label: string; versions: string; p50: number; p99: number; n: number }[] = [];
        const sample = await sampleRows(path.join(dataDir, weekFileName(DEMO_DEFAULTS.weeks)), config.features.map((f) => f.name), 300);

        for (const [i, weeks] of [8, 14].entries()) {
          const asOf = new Date(start + weeks * WEEK_MS).toISOString();
          say(`run ${i + 1}: retrain credit on the 8 weeks up to ${asOf.slice(0, 10)}${i === 1 ? ' (after the drift in week 10)' : ''}`);
          const handle = await startRetrain(client, {
            model: 'credit',
            configPath: config.configPath,
            initiator: INITIATOR,
            asOf,
            reason: i === 0 ? 'demo: first model' : 'demo: weekly retrain after drift',
          });
          let status = await followRun(client, handle.workflowId, true);
          if (status.stage === 'awaiting_approval') {
            const approver = APPROVERS[i % APPROVERS.length]!;
            say(`${approver} reads ${rel(status.reportPath ?? '')} and approves v${status.candidate?.version}`);
            await approveRun(client, handle.workflowId, approver, 'demo approval: gates passed, report reviewed');
            // Live traffic while the promotion runs: its stages analyse what the serving worker logs.
            const traffic = stack.servingUrl ? startTraffic(stack.servingUrl, sample) : null;
            const watcher = followPromotion(client, say);
            try {
              status = await waitForStage(client, handle.workflowId, ['done']);
            } finally {
              await watcher.stop();
              const sent = await traffic?.stop();
              if (sent) say(`sent ${sent.requests} requests during the promotion (${sent.byRole})`);
            }
          }
          runs.push(status);
          say(`run ${i + 1} ended ${status.stage}${status.error ? `: ${status.error}` : ''}`);
          if (status.stage === 'failed') throw new CliError(`demo run ${handle.workflowId} failed: ${status.error}`);
          if (stack.servingUrl && status.stage === 'done') {
            await waitForServedVersion(stack.servingUrl, status.candidate!.version!);
            predictions.push({ label: `after run ${i + 1}`, ...(await predict(stack.servingUrl, sample)) });
          }
        }

        process.stdout.write(`${summary(runs, predictions, stack, Date.now() - started)}\n`);
        if (opts.keepRunning) {
          process.stderr.write('stack is still up; Ctrl-C to stop\n');
          await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
        }
      } finally {
        await close();
        await stack.stop();
      }
    });
}

/** Requests in a loop until stopped; counts which role answered. */
function startTraffic(url: string, rows: PredictRequest[]): { stop: () => Promise<{ requests: number; byRole: string }> } {
  let running = true;
  let requests = 0;
  const roles = new Map<string, number>();
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const response = await fetch(`${url}/v1/models/credit/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(rows[i % rows.length]),
      }).catch(() => null);
      const body = response?.ok ? ((await response.json()) as { role?: string; version?: number }) : null;
      requests++;
      if (body) roles.set(`${body.role} v${body.version}`, (roles.get(`${body.role} v${body.version}`) ?? 0) + 1);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { requests, byRole: [...roles].map(([k, n]) => `${k}: ${n}`).join(', ') };
    },
  };
}

/** Prints each promotion stage as it starts, from the promotion workflow's query. */
function followPromotion(client: Client, say: (line: string) => void): { stop: () => Promise<void> } {
  // The id is fixed per model, so the first queries may still reach the previous promotion.
  const since = new Date().toISOString();
  let seen = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const status = await client.workflow.getHandle(promotionWorkflowId('credit')).query(promotionStatusQuery).catch(() => null);
      const events = status?.events.filter((e) => e.at >= since) ?? [];
      for (const event of events.slice(seen)) say(`  promotion: ${event.text}`);
      seen = Math.max(seen, events.length);
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

interface PredictRequest {
  entity_id: string;
  features: FeatureRow;
}

async function sampleRows(file: string, columns: string[], n: number): Promise<PredictRequest[]> {
  return withDuckDB(async (connection) => {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet($file) ORDER BY application_id LIMIT ${n}`, { file });
    return reader.getRowObjectsJson().map((row) => ({
      entity_id: String(row.customer_id),
      features: Object.fromEntries(columns.map((c) => [c, (row[c] ?? null) as FeatureRow[string]])),
    }));
  });
}

async function waitForServedVersion(url: string, version: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await fetch(`${url}/readyz`)
      .then((r) => r.json() as Promise<{ models?: { model: string; loaded: { champion: number | null } }[] }>)
      .catch(() => null);
    if (ready?.models?.find((m) => m.model === 'credit')?.loaded.champion === version) return;
    if (Date.now() > deadline) throw new CliError(`the serving worker did not load credit v${version} within ${timeoutMs} ms; see ${url}/readyz`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Send each sample row as its own request (keep-alive), the way an application would. */
async function predict(url: string, rows: PredictRequest[]): Promise<{ versions: string; p50: number; p99: number; n: number }> {
  const timings: number[] = [];
  const versions = new Map<string, number>();
  for (const row of rows) {
    const t = performance.now();
    const response = await fetch(`${url}/v1/models/credit/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(row) });
    const body = (await response.json()) as { version?: number; error?: { message: string } };
    timings.push(performance.now() - t);
    if (!response.ok) throw new CliError(`predict failed (${response.status}): ${body.error?.message}`);
    versions.set(`v${body.version}`, (versions.get(`v${body.version}`) ?? 0) + 1);
  }
  timings.sort((a, b) => a - b);
  const q = (p: number) => timings[Math.min(timings.length - 1, Math.ceil(p * timings.length) - 1)]!;
  return { versions: [...versions].map(([v, n]) => `${v}×${n}`).join(' '), p50: q(0.5), p99: q(0.99), n: timings.length };
}

function summary(runs: RunStatus[], predictions: { label: string; versions: string; p50: number; p99: number; n: number }[], stack: { uiUrl: string | null; address: string; servingUrl: string | null }, wallMs: number): string {
  const lines = ['', paint('Ratchet demo — summary', 'bold'), ''];
  for (const [i, run] of runs.entries()) {
    lines.push(
      `${paint(`Run ${i + 1}`, 'bold')}  ${run.runId}`,
      `  stage ${run.stage}   candidate v${run.candidate?.version ?? '—'}   champion before: ${run.champion ? `v${run.champion.version}` : 'none (first run)'}   ${run.decision ? `${run.decision.kind} by ${run.decision.user}` : ''}`,
      `  data ${run.snapshot?.rows.toLocaleString()} rows ${run.snapshot?.timeRange?.from.slice(0, 10)} → ${run.snapshot?.timeRange?.to.slice(0, 10)}`,
    );
    if (run.metrics) {
      const m = ['auc', 'log_loss', 'precision', 'recall', 'f1'];
      lines.push(indent(table(['metric', ...m], [['candidate', ...m.map((k) => num(run.metrics!.candidate[k]))], ...(run.metrics.champion ? [['champion', ...m.map((k) => num(run.metrics!.champion![k]))]] : [])])));
    }
    lines.push(indent(table(['gate', 'verdict', 'value', 'threshold'], run.gates.map((g) => [g.gate, verdict(g.verdict), num(g.value), num(g.threshold)]))));
    lines.push(`  report ${run.reportPath}`, '');
  }
  if (predictions.length) {
    lines.push(paint('Serving', 'bold'));
    lines.push(indent(table(['when', 'requests', 'served by', 'p50 ms', 'p99 ms'], predictions.map((p) => [p.label, String(p.n), p.versions, num(p.p50, 2), num(p.p99, 2)]))), '');
  }
  lines.push(
    `Temporal UI   ${stack.uiUrl ?? `(server at ${stack.address})`}  — open it with \`npm run dev\` (the demo stops its stack on exit)`,
    `Registry      RATCHET_HOME=${rel(DEMO_HOME)} npx ratchet registry show credit`,
    `Wall time     ${duration(wallMs)}`,
  );
  return lines.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function rel(p: string): string {
  return path.relative(process.cwd(), p) || p;
}
