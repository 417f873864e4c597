/**
 * Monitoring activities: one health check of a model's champion over the serving worker's logs,
 * the open runs that keep the monitor from starting another, and alerts (webhook + audit record).
 *
 * A check reads the champion's logged traffic of the last max(window, label_window) once:
 * - the now-test: the champion's metrics on the requests whose labels arrived (feedback joined by
 *   request id, else entity id), with the label coverage;
 * - drift: live inputs of the last `window` against the champion's training snapshot, and the
 *   champion's live scores against its scores on that snapshot (validation/drift definitions);
 * - a CBPE estimate on the window's unlabelled requests when the champion's holdout ECE allows;
 * - a breakdown per segment column, where the segment is logged (a feature) or can be joined
 *   from the source by the entity column;
 * - the verdict of the policy (validation/monitoring assessHealth).
 * The window ends at `at`, the workflow's clock, so a replay and a time-skipping test agree.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Context, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ModelConfig } from '../core/config';
import { queryLiteral } from '../core/visibility';
import { selectRows } from '../core/column-table';
import type { ColumnTable, ModelVersion } from '../core/types';
import { lookupEntities } from '../data/entity-lookup';
import { predictionLogLocation } from '../data/prediction-log-format';
import { readLoggedFeatures, readPredictionLog, type PredictionLog } from '../data/prediction-log';
import { readSchema, readTable } from '../data/read';
import { OnnxModel } from '../scoring/onnx-model';
import { computeMetrics, driftReport, predictionDrift, type DriftReport, type MetricSet } from '../validation';
import { assessHealth, worstDrift, type HealthAssessment } from '../validation/monitoring';
import { estimatePerformance, type PerformanceEstimate } from '../validation/performance-estimate';
import { segmentHealth, type SegmentHealth } from '../validation/segment-health';
import { currentWorkflowId, type ActivityDeps } from './deps';
import { postNotification } from './notify';

export interface MonitorCheck {
  at: string;
  window: { from: string; to: string };
  labelWindow: { from: string; to: string };
  champion: { version: number; holdoutAuc: number | null; holdoutEce: number | null; snapshotId: string | null } | null;
  /** Requests the champion served in the drift window. */
  traffic: { requests: number; scored: number; errors: number };
  nowTest: {
    rows: number;
    labelled: number;
    coverage: { share: number; byRequestId: number; byEntityId: number };
    metrics: Omit<MetricSet, 'reasons'> | null;
  };
  drift: {
    drifted_share: number | null;
    drifted_columns: string[];
    worst: { column: string; psi: number } | null;
    columns: { column: string; psi: number | null; verdict: string }[];
  } | null;
  prediction: { psi: number | null; verdict: string; referenceRows: number; currentRows: number } | null;
  estimate: Omit<PerformanceEstimate, 'confusion' | 'reasons'> | null;
  segments: { breakdown: SegmentHealth[]; unavailable: { column: string; reason: string }[] };
  health: HealthAssessment;
  notes: string[];
}

export interface OpenRun {
  workflowId: string;
  type: string;
}

export function createMonitoringActivities({ paths, store }: ActivityDeps) {
  return {
    async checkModel({ config, at }: { config: ModelConfig; at: string }): Promise<MonitorCheck> {
      const m = config.monitoring;
      const to = Date.parse(at);
      const window = { from: new Date(to - m.windowMs).toISOString(), to: at };
      const labelWindow = { from: new Date(to - m.labelWindowMs).toISOString(), to: at };
      const routing = await store.getRouting(config.model);
      if (routing.champion === null) return emptyCheck(config, at, window, labelWindow, 'no champion yet: nothing to monitor');
      const version = await store.getVersion(config.model, routing.champion);
      const location = predictionLogLocation(paths);
      if (location === 'off') throw ApplicationFailure.nonRetryable('the prediction log is off (RATCHET_PREDICTION_LOG=off): the monitor has nothing to read', 'NoPredictionLog');

      heartbeat({ step: 'reading the prediction log' });
      const segmentFeatures = config.segments.filter((s) => version.features.some((f) => f.name === s));
      const query = { ...location, model: config.model, from: Math.min(to - m.windowMs, to - m.labelWindowMs), to, roles: ['champion' as const], versions: [version.version] };
      const [log, inputs] = await Promise.all([readPredictionLog(query), readLoggedFeatures({ ...query, features: version.features })]);
      if (inputs.rowCount !== log.rowCount) throw new Error(`the prediction log changed while it was read (${log.rowCount} predictions, ${inputs.rowCount} feature rows); the check is retried`);

      const { inWindow, labelled, unlabelledInWindow, requests, nowTestRows } = windowRows(log, to - m.windowMs, to - m.labelWindowMs);
      const notes: string[] = [];
      const scores = (rows: number[]) => Float64Array.from(rows, (i) => log.score[i]!);
      const labels = Float64Array.from(labelled, (i) => log.groundTruth[i]!);
      const liveMetrics = labelled.length ? stripReasons(computeMetrics(labels, scores(labelled), { threshold: version.threshold })) : null;
      const current = selectRows(inputs, inWindow);

      heartbeat({ step: 'drift against the training reference' });
      const reference = await loadReference(paths.snapshots, config, version, () => store.readArtifact(config.model, version.version), notes);
      let drift: DriftReport | null = null;
      let prediction: MonitorCheck['prediction'] = null;
      if (reference) {
        drift = driftReport(reference.table, current, version.features);
        const p = predictionDrift(reference.scores, scores(inWindow));
        prediction = { psi: p.psi, verdict: p.verdict, referenceRows: reference.scores.length, currentRows: inWindow.length };
      }

      const holdoutAuc = metric(version, 'auc');
      const holdoutEce = metric(version, 'ece');
      let estimate: MonitorCheck['estimate'] = null;
      if (holdoutEce === null || holdoutEce > m.maxHoldoutEce) {
        notes.push(`no performance estimate: the champion's holdout ECE ${holdoutEce ?? 'is unknown'}${holdoutEce === null ? '' : ` is above ${m.maxHoldoutEce}`}, so its scores cannot stand in for labels`);
      } else if (unlabelledInWindow.length > 0) {
        const { confusion: _c, reasons: _r, ...rest } = estimatePerformance(scores(unlabelledInWindow), version.threshold);
        estimate = rest;
      }

      heartbeat({ step: 'segments' });
      const segments = await breakdown(config, version, log, inputs, reference, { inWindow, labelled, labels, segmentFeatures });

      const health = assessHealth(
        {
          rows: inWindow.length,
          drift: drift ? { drifted_share: drift.drifted_share, worst: worstDrift(drift.columns) } : null,
          prediction_psi: prediction?.psi ?? null,
          live: { labelled: labelled.length, positives: labels.reduce((n, y) => n + y, 0), auc: liveMetrics?.auc ?? null },
          holdout_auc: holdoutAuc,
          estimate: estimate ? { rows: estimate.rows, auc: estimate.auc } : null,
        },
        m.health,
      );
      return {
        at,
        window,
        labelWindow,
        champion: { version: version.version, holdoutAuc, holdoutEce, snapshotId: version.snapshot?.snapshotId ?? null },
        traffic: { requests, scored: inWindow.length, errors: requests - inWindow.length },
        nowTest: {
          rows: nowTestRows,
          labelled: labelled.length,
          coverage: { share: nowTestRows ? labelled.length / nowTestRows : 0, byRequestId: countMatches(log, labelled, 'request_id'), byEntityId: countMatches(log, labelled, 'entity_id') },
          metrics: liveMetrics,
        },
        drift: drift && {
          drifted_share: drift.drifted_share,
          drifted_columns: drift.drifted_columns,
          worst: worstDrift(drift.columns),
          columns: drift.columns.map((c) => ({ column: c.column, psi: c.psi, verdict: c.verdict })),
        },
        prediction,
        estimate,
        segments,
        health,
        notes,
      };
    },

    /**
     * Which runs of the model of the given types are still open: the ones the caller started
     * (by id, on any server) and, when the server has Ratchet's search attributes, any other run
     * of the model (the CLI and schedules start them with RatchetModel set).
     */
    async findOpenRuns({ model, workflowIds, search, types }: { model: string; workflowIds: string[]; search: boolean; types: ('retrain' | 'rollback')[] }): Promise<OpenRun[]> {
      const client = Context.current().client;
      const open = new Map<string, OpenRun>();
      for (const workflowId of workflowIds) {
        try {
          const described = await client.workflow.getHandle(workflowId).describe();
          if (described.status.name === 'RUNNING' && (types as string[]).includes(described.type)) open.set(workflowId, { workflowId, type: described.type });
        } catch (err) {
          if (!/not found/i.test((err as Error).message)) throw err;
        }
      }
      if (search) {
        const query = `RatchetModel=${queryLiteral(model)} AND ExecutionStatus="Running" AND WorkflowType IN (${types.map(queryLiteral).join(', ')})`;
        for await (const wf of client.workflow.list({ query })) open.set(wf.workflowId, { workflowId: wf.workflowId, type: wf.type });
      }
      return [...open.values()];
    },

    async raiseAlert(input: { model: string; level: string; text: string; details: Record<string, unknown> }): Promise<void> {
      await postNotification({ model: input.model, event: `monitor_${input.level}`, text: input.text, at: new Date().toISOString(), details: input.details });
      await store.recordEvent(input.model, { action: 'alert', details: { level: input.level, ...input.details } }, { actor: 'ratchet-monitor', reason: input.text, workflowId: currentWorkflowId() });
    },
  };
}

interface Reference {
  table: ColumnTable;
  scores: Float64Array;
  /** Segment values of the reference rows, for the segment columns the snapshot holds. */
  segments: Record<string, (string | null)[]>;
}

/** The champion's training snapshot with the champion's own scores on it, or null with a note. */
async function loadReference(
  snapshotDir: string,
  config: ModelConfig,
  version: ModelVersion,
  artifact: () => Promise<Uint8Array>,
  notes: string[],
): Promise<Reference | null> {
  if (!version.snapshot) {
    notes.push(`v${version.version} was registered without a training snapshot: no drift reference`);
    return null;
  }
  const file = path.join(snapshotDir, config.model, `${version.snapshot.snapshotId}.parquet`);
  if (!existsSync(file)) {
    notes.push(`the training snapshot ${file} of v${version.version} is no longer on disk: no drift reference`);
    return null;
  }
  const schema = await readSchema(file);
  const extra = config.segments.filter((s) => schema.some((c) => c.name === s) && !version.features.some((f) => f.name === s));
  const { table } = await readTable(file, { features: version.features, extraColumns: extra });
  const model = await OnnxModel.load(await artifact(), version.features, { intraOpNumThreads: 1 });
  try {
    const scores = await model.scoreTable(table);
    const segments = Object.fromEntries(config.segments.filter((s) => table.columns[s]).map((s) => [s, asText(table.columns[s]!)]));
    return { table, scores, segments };
  } finally {
    await model.close();
  }
}

async function breakdown(
  config: ModelConfig,
  version: ModelVersion,
  log: PredictionLog,
  inputs: ColumnTable,
  reference: Reference | null,
  rows: { inWindow: number[]; labelled: number[]; labels: Float64Array; segmentFeatures: string[] },
): Promise<MonitorCheck['segments']> {
  const unavailable: { column: string; reason: string }[] = [];
  if (!reference) {
    return { breakdown: [], unavailable: config.segments.map((column) => ({ column, reason: 'no training reference to compare with' })) };
  }
  const values: Record<string, (string | null)[]> = {};
  for (const s of rows.segmentFeatures) values[s] = asText(inputs.columns[s]!);
  const joined = config.segments.filter((s) => !rows.segmentFeatures.includes(s));
  if (joined.length && !config.entity_column) {
    joined.forEach((column) => unavailable.push({ column, reason: 'not a model feature, so not in the serving log, and the config has no entity_column to join it from the source' }));
  } else if (joined.length) {
    try {
      const found = await lookupEntities({
        source: config.source,
        entityColumn: config.entity_column!,
        timeColumn: config.time_column,
        columns: joined,
        entityIds: log.entityId.filter((e): e is string => e !== null),
      });
      for (const s of joined) values[s] = log.entityId.map((e) => (e === null ? null : (found[s]!.get(e) ?? null)));
    } catch (err) {
      joined.forEach((column) => unavailable.push({ column, reason: `cannot join it from the source by ${config.entity_column}: ${(err as Error).message.split('\n')[0]}` }));
    }
  }
  const breakdown: SegmentHealth[] = [];
  for (const column of config.segments) {
    if (!values[column]) continue;
    if (!reference.segments[column]) {
      unavailable.push({ column, reason: "the champion's training snapshot has no such column" });
      continue;
    }
    const at = (rowsOf: number[]) => rowsOf.map((i) => values[column]![i] ?? null);
    breakdown.push(
      ...segmentHealth({
        column,
        features: version.features,
        threshold: version.threshold,
        minRows: config.evaluation.min_slice_rows,
        reference: { values: reference.segments[column]!, table: reference.table },
        current: { values: at(rows.inWindow), table: selectRows(inputs, rows.inWindow), scores: Float64Array.from(rows.inWindow, (i) => log.score[i]!) },
        labelled: { values: at(rows.labelled), scores: Float64Array.from(rows.labelled, (i) => log.score[i]!), labels: rows.labels },
      }),
    );
  }
  return { breakdown, unavailable };
}

function emptyCheck(config: ModelConfig, at: string, window: MonitorCheck['window'], labelWindow: MonitorCheck['labelWindow'], note: string): MonitorCheck {
  const health = assessHealth({ rows: 0, drift: null, prediction_psi: null, live: null, holdout_auc: null, estimate: null }, config.monitoring.health);
  return {
    at,
    window,
    labelWindow,
    champion: null,
    traffic: { requests: 0, scored: 0, errors: 0 },
    nowTest: { rows: 0, labelled: 0, coverage: { share: 0, byRequestId: 0, byEntityId: 0 }, metrics: null },
    drift: null,
    prediction: null,
    estimate: null,
    segments: { breakdown: [], unavailable: [] },
    health: { ...health, summary: note },
    notes: [note],
  };
}

/**
 * The rows of the log each part of the check uses: scored rows of the drift window, labelled rows
 * of the label window (the now-test), and the drift window's unlabelled rows (the estimate).
 */
function windowRows(log: PredictionLog, windowFrom: number, labelFrom: number) {
  const inWindow: number[] = [];
  const labelled: number[] = [];
  const unlabelledInWindow: number[] = [];
  let requests = 0;
  let nowTestRows = 0;
  for (let i = 0; i < log.rowCount; i++) {
    const ok = log.status[i] === 'ok' && !Number.isNaN(log.score[i]!);
    const hasLabel = !Number.isNaN(log.groundTruth[i]!);
    if (log.at[i]! >= windowFrom) {
      requests++;
      if (ok) inWindow.push(i);
      if (ok && !hasLabel) unlabelledInWindow.push(i);
    }
    if (ok && log.at[i]! >= labelFrom) {
      nowTestRows++;
      if (hasLabel) labelled.push(i);
    }
  }
  return { inWindow, labelled, unlabelledInWindow, requests, nowTestRows };
}

function metric(version: ModelVersion, name: string): number | null {
  const v = version.metrics[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function countMatches(log: PredictionLog, rows: number[], by: 'request_id' | 'entity_id'): number {
  let n = 0;
  for (const i of rows) if (log.matchedBy[i] === by) n++;
  return n;
}

function stripReasons(set: MetricSet): Omit<MetricSet, 'reasons'> {
  const { reasons: _reasons, ...values } = set;
  return values;
}

function asText(column: ColumnTable['columns'][string]): (string | null)[] {
  return column instanceof Float64Array ? Array.from(column, (v) => (Number.isNaN(v) ? null : String(v))) : column;
}
