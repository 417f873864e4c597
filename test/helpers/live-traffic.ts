/**
 * Real models and real serving logs for monitoring and back-test tests: a version trained by the
 * built-in logistic regression on a pulled snapshot of the demo data and registered with that
 * snapshot and its holdout metrics (as a retraining run would), and "live" traffic written by the
 * serving worker's own Parquet log writer from demo rows scored by that model.
 */
import path from 'node:path';
import type { ColumnTable, FeatureSpec, ModelVersion } from '../../core/types';
import { ParquetLogWriter } from '../../data/prediction-log-parquet';
import type { FeedbackRecord, PredictionRecord } from '../../data/prediction-log-format';
import { readTable } from '../../data/read';
import { pullSnapshot } from '../../data/snapshot';
import { promoteToChampion } from '../../registry/lifecycle';
import type { RegistryStore } from '../../registry/store';
import { OnnxModel } from '../../scoring/onnx-model';
import { fitLogistic } from '../../trainers/logistic';
import { logisticToOnnx } from '../../trainers/onnx-export';
import { computeMetrics } from '../../validation';
import { SMALL_DEMO, type DemoWorkspace } from './fixtures';

export const DEMO_FEATURES: FeatureSpec[] = [
  ...['income', 'debt_to_income', 'credit_utilization', 'age', 'months_employed', 'num_late_payments', 'loan_amount', 'num_credit_lines'].map((name) => ({ name, type: 'numeric' as const })),
  ...['home_ownership', 'loan_purpose', 'employment_type'].map((name) => ({ name, type: 'categorical' as const })),
];

const WEEK_MS = 7 * 86_400_000;
export const demoWeekStart = (week: number) => new Date(Date.parse(`${SMALL_DEMO.start}T00:00:00Z`) + (week - 1) * WEEK_MS);
export const demoWeekFile = (ws: DemoWorkspace, week: number) => path.join(ws.dataDir, `applications-week-${String(week).padStart(2, '0')}.parquet`);

/**
 * Trains on demo weeks first..last (the first 80 % in time; the last 20 % is the holdout whose
 * AUC and ECE are recorded), registers the version with its snapshot, and optionally promotes it.
 */
export async function registerDemoVersion(
  ws: DemoWorkspace,
  store: RegistryStore,
  weeks: { first: number; last: number },
  options: { runId: string; champion?: boolean; /** Learn the labels backwards: a broken model that still scores. */ inverted?: boolean },
): Promise<{ version: ModelVersion; bytes: Uint8Array }> {
  const snapshot = await pullSnapshot({
    model: 'credit',
    source: { kind: 'files', path: path.join(ws.dataDir, '*.parquet') },
    timeColumn: 'applied_at',
    window: { from: demoWeekStart(weeks.first).toISOString(), to: demoWeekStart(weeks.last + 1).toISOString() },
    snapshotDir: ws.paths.snapshots,
    now: new Date('2026-06-01T00:00:00Z'),
  });
  const { table, labels } = await readTable(snapshot.path, { features: DEMO_FEATURES, label: 'defaulted' });
  const cut = Math.floor(table.rowCount * 0.8); // snapshots are ordered by time
  const rows = (from: number, to: number): ColumnTable => ({
    rowCount: to - from,
    columns: Object.fromEntries(Object.entries(table.columns).map(([k, c]) => [k, c.slice(from, to)])),
  });
  const trainLabels = labels!.slice(0, cut).map((y) => (options.inverted ? 1 - y : y));
  const fitted = fitLogistic(rows(0, cut), trainLabels, DEMO_FEATURES, { l2: 1 });
  const bytes = logisticToOnnx(fitted, { modelName: 'credit-test', producerVersion: '0' });
  const holdoutScores = await scoreWith(bytes, rows(cut, table.rowCount));
  const holdout = computeMetrics(labels!.slice(cut), holdoutScores, { threshold: 0.5 });
  const ctx = { actor: 'test', reason: 'test version', workflowId: options.runId };
  const version = await store.registerVersion(
    {
      model: 'credit',
      runId: options.runId,
      status: 'approved',
      trainer: { kind: 'builtin-logistic', params: { l2: 1 } },
      features: DEMO_FEATURES,
      threshold: 0.5,
      snapshot: { snapshotId: snapshot.snapshotId, contentSha256: snapshot.contentSha256, rows: snapshot.rows, timeRange: snapshot.timeRange },
      metrics: { auc: holdout.auc, ece: holdout.ece },
      gates: [],
      reportPath: null,
      tags: {},
    },
    bytes,
    ctx,
  );
  if (options.champion) await promoteToChampion(store, 'credit', version.version, ctx);
  return { version, bytes };
}

export async function scoreWith(bytes: Uint8Array, table: ColumnTable): Promise<Float64Array> {
  const model = await OnnxModel.load(bytes, DEMO_FEATURES, { intraOpNumThreads: 1 });
  try {
    return await model.scoreTable(table);
  } finally {
    await model.close();
  }
}

export interface LiveDay {
  /** Demo week whose applications arrive as this day's requests. */
  week: number;
  /** Requests are logged in [startMs, startMs + 1 h). */
  startMs: number;
}

/**
 * Logs the demo rows of each day's week as champion predictions (request id = application id,
 * entity id = customer id), and ground truth for `labelShare` of them: most by request id, every
 * fifth by entity id only, each an hour after its prediction.
 */
export async function writeLiveTraffic(input: { logDir: string; ws: DemoWorkspace; version: ModelVersion; bytes: Uint8Array; days: LiveDay[]; labelShare: number }): Promise<{ requests: number; labels: number }> {
  const writer = new ParquetLogWriter({ logDir: input.logDir, workerId: 'test-traffic' });
  let requests = 0;
  let labels = 0;
  try {
    for (const day of input.days) {
      const { table, labels: truth } = await readTable(demoWeekFile(input.ws, day.week), { features: DEMO_FEATURES, extraColumns: ['application_id', 'customer_id'], label: 'defaulted' });
      const scores = await scoreWith(input.bytes, table);
      const predictions: PredictionRecord[] = [];
      const feedback: FeedbackRecord[] = [];
      const step = 3_600_000 / table.rowCount;
      for (let i = 0; i < table.rowCount; i++) {
        const at = Math.floor(day.startMs + i * step);
        const requestId = table.columns.application_id![i] as string;
        const entityId = table.columns.customer_id![i] as string;
        const features = Object.fromEntries(DEMO_FEATURES.map((f) => [f.name, featureValue(table.columns[f.name]![i]!)]));
        predictions.push({ request_id: requestId, entity_id: entityId, model: 'credit', version: input.version.version, role: 'champion', features, score: scores[i]!, label: scores[i]! >= input.version.threshold, latency_ms: 1.5, status: 'ok', error: null, at });
        if ((i * 7919) % 1000 < input.labelShare * 1000) {
          const byEntity = labels % 5 === 4;
          feedback.push({ model: 'credit', request_id: byEntity ? null : requestId, entity_id: byEntity ? entityId : null, label: truth![i] === 1 ? 1 : 0, at: at + 3_600_000, received_at: at + 3_600_000 });
          labels++;
        }
      }
      await writer.write('predictions', predictions);
      await writer.write('feedback', feedback);
      requests += predictions.length;
    }
  } finally {
    await writer.close();
  }
  return { requests, labels };
}

function featureValue(value: number | string | null): number | string | null {
  return typeof value === 'number' && Number.isNaN(value) ? null : value;
}
