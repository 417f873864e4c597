/** ratchet registry list|show: versions, statuses, metrics, lineage and routing, read from the store. */
import type { Command } from 'commander';
import { ratchetPaths } from '../../core/paths';
import type { ModelVersion, Routing } from '../../core/types';
import { openRegistry } from '../../registry/open';
import { num, paint, table } from '../format';
import { print } from './runs';

export function registerRegistryCommands(program: Command): void {
  const registry = program.command('registry').description('inspect the model registry');

  registry
    .command('list')
    .description('versions of a model (or all models) with status and headline metrics')
    .argument('[model]', 'model name; omit to list models')
    .option('--json', 'print JSON')
    .action(async (model: string | undefined, opts) => {
      const store = openRegistry(ratchetPaths());
      if (!model) {
        const models = await store.listModels();
        const rows = await Promise.all(models.map(async (m) => ({ model: m, routing: await store.getRouting(m), versions: (await store.listVersions(m)).length })));
        print(opts.json, rows, () =>
          rows.length ? table(['model', 'versions', 'champion', 'previous'], rows.map((r) => [r.model, String(r.versions), ver(r.routing.champion), ver(r.routing.previous)])) : 'no models registered yet',
        );
        return;
      }
      const [versions, routing] = await Promise.all([store.listVersions(model), store.getRouting(model)]);
      print(opts.json, { model, routing, versions }, () => renderVersions(versions, routing));
    });

  registry
    .command('show')
    .description('one model: routing, every version with lineage and gates, recent audit records')
    .argument('<model>')
    .option('--version <n>', 'show one version in full')
    .option('--json', 'print JSON')
    .action(async (model: string, opts) => {
      const store = openRegistry(ratchetPaths());
      if (opts.version) {
        const version = await store.getVersion(model, Number(opts.version));
        print(opts.json, version, () => renderVersion(version));
        return;
      }
      const [versions, routing, audit] = await Promise.all([store.listVersions(model), store.getRouting(model), store.readAudit(model, { limit: 15 })]);
      print(opts.json, { model, routing, versions, audit }, () =>
        [
          renderVersions(versions, routing),
          '',
          paint('recent changes', 'bold'),
          ...audit.map((a) => `  ${a.at}  ${a.action.padEnd(9)} ${a.version ? `v${a.version} ` : ''}by ${a.actor}: ${a.reason}${a.workflowId ? ` [${a.workflowId}]` : ''}`),
        ].join('\n'),
      );
    });
}

function ver(v: number | null): string {
  return v === null ? '—' : `v${v}`;
}

function renderVersions(versions: ModelVersion[], routing: Routing): string {
  const head = `champion ${ver(routing.champion)}   previous ${ver(routing.previous)}   candidate ${ver(routing.candidate)} (${routing.mode}${routing.mode === 'canary' ? ` ${routing.percent}%` : ''})   revision ${routing.revision}`;
  if (versions.length === 0) return `${head}\nno versions`;
  return `${head}\n\n${table(
    ['version', 'status', 'created', 'auc', 'log_loss', 'f1', 'rows', 'data to', 'run'],
    versions.map((v) => [
      `v${v.version}`,
      v.status,
      v.createdAt.slice(0, 19),
      num(v.metrics.auc),
      num(v.metrics.log_loss),
      num(v.metrics.f1),
      String(v.snapshot?.rows ?? '—'),
      v.snapshot?.timeRange?.to.slice(0, 10) ?? '—',
      v.runId,
    ]),
  )}`;
}

function renderVersion(v: ModelVersion): string {
  return [
    `${paint(`${v.model} v${v.version}`, 'bold')}  ${v.status}  created ${v.createdAt}`,
    `artifact sha256 ${v.artifact.sha256} (${v.artifact.bytes} bytes)`,
    `run ${v.runId}   trainer ${v.trainer.kind} ${JSON.stringify(v.trainer.params)}`,
    `snapshot ${v.snapshot ? `${v.snapshot.snapshotId} ${v.snapshot.rows} rows ${v.snapshot.timeRange?.from ?? ''} → ${v.snapshot.timeRange?.to ?? ''}` : '—'}`,
    `features ${v.features.map((f) => `${f.name}:${f.type[0]}`).join(' ')}   threshold ${v.threshold}`,
    `report ${v.reportPath ?? '—'}`,
    '',
    table(['metric', 'value'], Object.entries(v.metrics).map(([k, x]) => [k, num(x)])),
    '',
    v.gates.length ? table(['gate', 'verdict', 'value', 'threshold'], v.gates.map((g) => [g.gate, g.verdict, num(g.value), num(g.threshold)])) : 'no gates recorded',
  ].join('\n');
}
