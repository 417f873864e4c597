/** ratchet runs: find retraining runs (or monitors, schedules, rollbacks) by model and stage through Temporal's visibility. */
import type { Command } from 'commander';
import { RUN_STAGES } from '../../workflows/definitions';
import { CliError } from '../errors';
import { paint, table } from '../format';
import { listRuns, runQuery } from '../run-list';
import { withClient } from '../with-client';
import { print } from './runs';

export function registerFindRunsCommand(program: Command): void {
  program
    .command('runs')
    .description('list runs through the search attributes (RatchetModel, RatchetStage, RatchetRunKind), newest first')
    .option('--model <name>', 'only this model')
    .option('--stage <stage>', `only runs in this stage (${RUN_STAGES.join(', ')})`)
    .option('--kind <kind>', 'retrain, schedule, monitor or rollback', 'retrain')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      if (opts.stage && !(RUN_STAGES as readonly string[]).includes(opts.stage)) throw new CliError(`--stage "${opts.stage}" is not a stage; use one of ${RUN_STAGES.join(', ')}`, 2);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit must be a positive integer, got "${opts.limit}"`, 2);
      const filter = { model: opts.model, stage: opts.stage, kind: opts.kind, limit };
      await withClient(async (client) => {
        const rows = await listRuns(client, filter);
        print(opts.json, rows, () =>
          rows.length
            ? table(['run', 'model', 'stage', 'verdict', 'version', 'status', 'started'], rows.map((r) => [r.workflowId, r.model ?? '—', r.stage ?? '—', r.verdict ?? '—', r.candidateVersion === null ? '—' : `v${r.candidateVersion}`, r.status, r.startTime]))
            : paint(`no runs match ${runQuery(filter)}`, 'grey'),
        );
      });
    });
}
