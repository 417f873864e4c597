/** ratchet backtest: registered versions on every week or month of the model's data, as a table, JSON or an HTML chart. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ratchetPaths } from '../../core/paths';
import { PARTITION_UNITS, type PartitionUnit } from '../../data/partitions';
import { backtest, type BacktestResult } from '../../evaluation/backtest';
import { renderBacktestReport } from '../../reports/backtest-report';
import { openRegistry } from '../../registry/open';
import { CliError } from '../errors';
import { num, StatusLine, table } from '../format';
import { resolveModelConfig } from '../model-config';

export function registerBacktestCommand(program: Command): void {
  program
    .command('backtest')
    .description('evaluate registered versions on every week or month of the model\'s data, with the gates\' metrics, slices and fairness')
    .requiredOption('--model <name>', 'model name')
    .requiredOption('--versions <list>', 'comma-separated version numbers, e.g. 1,2,3')
    .option('--by <unit>', 'partition the time column by week or month', 'week')
    .option('--config <file>', 'model config YAML (default: $RATCHET_MODELS_DIR/<model>.yaml)')
    .option('--bootstrap <n>', 'bootstrap replicates per cell (default: the config\'s evaluation.bootstrap)')
    .option('--html <file>', 'also write a self-contained HTML page with the charts')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      if (!(PARTITION_UNITS as readonly string[]).includes(opts.by)) throw new CliError(`--by must be ${PARTITION_UNITS.join(' or ')}, got "${opts.by}"`, 2);
      const numbers = String(opts.versions).split(',').map((v) => v.trim().replace(/^v/, ''));
      if (numbers.some((v) => !/^\d+$/.test(v))) throw new CliError(`--versions must list version numbers such as 1,2,3; got "${opts.versions}"`, 2);
      const config = await resolveModelConfig(opts.model, opts.config);
      const bootstrap = opts.bootstrap === undefined ? config.evaluation.bootstrap : Number(opts.bootstrap);
      if (!Number.isInteger(bootstrap) || bootstrap < 0) throw new CliError(`--bootstrap must be a non-negative integer, got "${opts.bootstrap}"`, 2);
      const store = openRegistry(ratchetPaths());
      const versions = await Promise.all(
        numbers.map(async (n) => {
          const v = await store.getVersion(config.model, Number(n)).catch((err: Error) => {
            throw new CliError(`${err.message}; see \`ratchet registry list ${config.model}\``);
          });
          return { version: v.version, bytes: await store.readArtifact(config.model, v.version), features: v.features, threshold: v.threshold, trainedOn: v.snapshot?.timeRange ?? null };
        }),
      );
      const line = new StatusLine();
      const result = await backtest({
        model: config.model,
        source: config.source,
        timeColumn: config.time_column,
        label: config.label,
        segments: config.segments,
        protected: config.protected,
        gates: config.gates,
        bootstrap: { replicates: bootstrap, seed: config.evaluation.seed },
        minSliceRows: config.evaluation.min_slice_rows,
        by: opts.by as PartitionUnit,
        versions,
        onProgress: (step) => line.update(`… ${step}`),
      });
      line.done('');
      if (opts.html) {
        const file = path.resolve(opts.html);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, renderBacktestReport(result, new Date().toISOString()));
        process.stderr.write(`HTML: ${file}\n`);
      }
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${renderBacktest(result)}\n`);
    });
}

export function renderBacktest(r: BacktestResult): string {
  const cell = (version: number, partition: string) => r.cells.find((c) => c.version === version && c.partition === partition);
  const rows = r.partitions.map((p, k) => [
    `${k + 1} ${p.start.slice(0, 10)}`,
    String(p.rows),
    ...r.versions.flatMap((v) => {
      const c = cell(v.version, p.start);
      const failed = c?.gates.filter((g) => g.verdict === 'fail').length ?? 0;
      return [`${num(c?.metrics.auc ?? null, 3)}${c?.inTraining ? '*' : ''}`, failed ? `${failed} fail` : 'pass'];
    }),
  ]);
  return [
    table([r.by, 'rows', ...r.versions.flatMap((v) => [`v${v.version} auc`, `v${v.version} gates`])], rows),
    '',
    '* in-sample: the version was trained on this period',
  ].join('\n');
}
