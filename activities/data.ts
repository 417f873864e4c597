/**
 * Data activities: thin adapters over data/. Each is idempotent because the snapshot and split
 * files are content-addressed: a retry finds the finished file and returns the same manifest.
 */
import { heartbeat } from '@temporalio/activity';
import type { ModelConfig } from '../core/config';
import type { SnapshotManifest, SplitManifest } from '../core/types';
import { checkData as runDataChecks, type DataCheckReport } from '../data/checks';
import { pullSnapshot } from '../data/snapshot';
import { splitByTime } from '../data/split';
import { withCost } from './cost';
import { currentWorkflowId, type ActivityDeps } from './deps';

export function createDataActivities({ paths, now = () => new Date() }: ActivityDeps) {
  return {
    async pullData({ config, asOf }: { config: ModelConfig; asOf: string }): Promise<SnapshotManifest> {
      const to = new Date(asOf);
      const from = new Date(to.getTime() - config.window.lookbackMs);
      heartbeat({ step: 'pull' });
      return withCost(paths, currentWorkflowId(), 'pulling', () => pullSnapshot({
        model: config.model,
        source: config.source,
        timeColumn: config.time_column,
        window: { from: from.toISOString(), to: to.toISOString() },
        snapshotDir: paths.snapshots,
        now: now(),
      }));
    },

    async checkData({ config, snapshot }: { config: ModelConfig; snapshot: SnapshotManifest }): Promise<DataCheckReport> {
      heartbeat({ step: 'check' });
      return withCost(paths, currentWorkflowId(), 'checking', () => runDataChecks(snapshot, {
        features: config.features,
        label: config.label,
        timeColumn: config.time_column,
        idColumn: config.id_column,
        minRows: config.data_checks.min_rows,
        maxNullRate: config.data_checks.max_null_rate,
        labelRate: config.data_checks.label_rate,
      }));
    },

    async splitData({ config, snapshot }: { config: ModelConfig; snapshot: SnapshotManifest }): Promise<SplitManifest> {
      heartbeat({ step: 'split' });
      return withCost(paths, currentWorkflowId(), 'splitting', () => splitByTime(snapshot, {
        timeColumn: config.time_column,
        label: config.label,
        holdoutFraction: config.split.holdout_fraction,
        validFraction: config.split.valid_fraction,
        outDir: paths.splits,
      }));
    },
  };
}
