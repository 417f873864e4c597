/**
 * The model config file: one YAML file per model. This module is the schema only (zod), so the
 * shape is declared once and the TypeScript type is derived from it.
 *
 * Every object is strict: a typo in a key is an error with a suggestion, never silently ignored.
 */
import { z } from 'zod';
import { METRIC_NAMES } from '../validation/types';

// One list of metric names for the config and the evaluation engine.
export { METRIC_NAMES } from '../validation/types';

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lowercase letters, digits, "-" or "_" (at most 64), starting with a letter or digit');
const column = z.string().min(1, 'must be a column name');
const metric = z.enum(METRIC_NAMES);
const fraction = z.number().gt(0).lt(1);
const blocking = z.boolean().optional();

/** "7d", "36h", "90m", "45s" → milliseconds. */
export const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;
const duration = z.string().regex(DURATION, 'must be a duration such as "90m", "36h", "7d" or "2w"');

const filesSource = z.strictObject({
  kind: z.literal('files'),
  path: z.string().min(1, 'must be a file path or glob (relative paths are relative to the config file)'),
  format: z.enum(['parquet', 'csv']).optional(),
});

const featureList = z.union([
  z.strictObject({
    numeric: z.array(column).default([]),
    categorical: z.array(column).default([]),
  }),
  z.array(z.strictObject({ name: column, type: z.enum(['numeric', 'categorical']) })),
]);

const builtinTrainer = z.strictObject({
  kind: z.literal('builtin-logistic'),
  params: z
    .strictObject({
      l2: z.number().nonnegative().default(1),
      max_iter: z.number().int().positive().default(100),
      tol: z.number().positive().default(1e-8),
    })
    .default({ l2: 1, max_iter: 100, tol: 1e-8 }),
  timeout: duration.default('30m'),
});

const externalTrainer = z.strictObject({
  kind: z.literal('external'),
  command: z.array(z.string().min(1)).min(1, 'must list the program and its arguments, e.g. [python3, train.py]'),
  params: z.record(z.string(), z.unknown()).default({}),
  timeout: duration.default('2h'),
});

const gates = z.strictObject({
  min_performance: z
    .strictObject({ metric, min: z.number(), ratchet: z.boolean().optional(), margin: z.number().nonnegative().optional(), blocking })
    .optional(),
  non_regression: z.strictObject({ metric, max_drop: z.number().nonnegative(), blocking }).optional(),
  slice_non_regression: z
    .strictObject({ metric, max_drop: z.number().nonnegative(), min_rows: z.number().int().positive(), blocking })
    .optional(),
  fairness: z
    .strictObject({
      max_demographic_parity_difference: z.number().nonnegative().optional(),
      max_equalized_odds_difference: z.number().nonnegative().optional(),
      min_disparate_impact_ratio: z.number().min(0).max(1).optional(),
      max_group_metric_gap: z.strictObject({ metric, max: z.number().nonnegative() }).optional(),
      blocking,
    })
    .optional(),
  golden: z.strictObject({ max_failures: z.number().int().nonnegative().optional(), blocking }).optional(),
  churn: z.strictObject({ max: fraction, blocking }).optional(),
  calibration: z.strictObject({ max_ece: z.number().nonnegative(), blocking }).optional(),
  importance_shift: z
    .strictObject({ min_rank_correlation: z.number().min(-1).max(1), top_k: z.number().int().positive(), blocking })
    .optional(),
  operational: z
    .strictObject({
      max_p99_latency_ms_per_row: z.number().positive().optional(),
      max_artifact_bytes: z.number().int().positive().optional(),
      blocking,
    })
    .optional(),
});

const promotionStage = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be a short lowercase name such as "shadow" or "canary-5"'),
  mode: z.enum(['shadow', 'canary']),
  percent: z.number().gt(0).max(100),
  min_duration: duration,
  min_samples: z.number().int().nonnegative(),
});

/** The practitioners' baseline: shadow a day, then canaries of at least 48 h and 5,000 requests. */
export const DEFAULT_STAGES = [
  { name: 'shadow', mode: 'shadow', percent: 100, min_duration: '24h', min_samples: 1000 },
  { name: 'canary-5', mode: 'canary', percent: 5, min_duration: '48h', min_samples: 5000 },
  { name: 'canary-25', mode: 'canary', percent: 25, min_duration: '48h', min_samples: 5000 },
  { name: 'canary-50', mode: 'canary', percent: 50, min_duration: '48h', min_samples: 5000 },
] as const;

const liveCriteria = z.strictObject({
  max_error_rate_increase: z.number().min(0).max(1).optional(),
  fail_fast_errors: z.number().int().positive().optional(),
  max_p99_latency_ratio: z.number().positive().optional(),
  max_score_psi: z.number().positive().optional(),
  max_positive_rate_shift: z.number().min(0).max(1).optional(),
  min_labels: z.number().int().nonnegative().optional(),
  max_auc_drop: z.number().min(0).max(1).optional(),
  max_ece: z.number().min(0).max(1).optional(),
});

const promotion = z.strictObject({
  stages: z.array(promotionStage).default(DEFAULT_STAGES.map((s) => ({ ...s }))),
  analysis_interval: duration.default('10m'),
  /** After 100 %, how long the new champion is watched against the previous one. "0s" for none. */
  watch: duration.default('24h'),
  /** Who may pause, resume, abort or advance a promotion, besides approvers and admins. */
  operators: z.array(z.string().min(1)).default([]),
  criteria: liveCriteria.default({}),
});

/** What the monitor does when a check reaches its alert level (README: "Monitoring"). */
export const MONITOR_ACTIONS = ['request_retrain', 'retrain', 'rollback', 'notify'] as const;

/** Warn or alert levels of the monitor's checks; null switches one off, absent keeps the default. */
const healthLevels = z.strictObject({
  drifted_share: z.number().min(0).max(1).nullable().optional(),
  feature_psi: z.number().positive().nullable().optional(),
  prediction_psi: z.number().positive().nullable().optional(),
  auc_drop: z.number().min(0).max(1).nullable().optional(),
});

const monitoring = z.strictObject({
  /** How often the monitor checks the champion. */
  interval: duration.default('1h'),
  /** Live inputs and predictions of this much recent traffic are compared with the training reference. */
  window: duration.default('24h'),
  /** The now-test looks back this far: labels arrive late, so its window is longer. */
  label_window: duration.default('7d'),
  min_rows: z.number().int().positive().default(500),
  min_labels: z.number().int().positive().default(200),
  /** CBPE estimates only for a champion whose holdout ECE is at most this. */
  estimate: z.strictObject({ max_holdout_ece: z.number().min(0).max(1).default(0.05) }).prefault({}),
  policy: z
    .strictObject({
      warn: healthLevels.default({}),
      alert: healthLevels.default({}),
      min_auc: z.number().gt(0).lt(1).optional(),
      action: z.enum(MONITOR_ACTIONS).default('request_retrain'),
      cooldown: duration.default('24h'),
    })
    .prefault({}),
});

export const modelConfigSchema = z.strictObject({
  model: name,
  description: z.string().default(''),
  owner: z.string().default(''),
  intended_use: z.string().default(''),
  limitations: z.array(z.string()).default([]),
  source: filesSource,
  time_column: column,
  id_column: column,
  entity_column: column.optional(),
  label: column,
  features: featureList,
  segments: z.array(column).default([]),
  protected: z.array(column).default([]),
  window: z
    .strictObject({ lookback: duration.default('56d') })
    .default({ lookback: '56d' }),
  split: z
    .strictObject({ holdout_fraction: fraction.default(0.2), valid_fraction: fraction.default(0.2) })
    .default({ holdout_fraction: 0.2, valid_fraction: 0.2 }),
  data_checks: z
    .strictObject({
      min_rows: z.number().int().positive().default(1000),
      max_null_rate: z.number().min(0).max(1).default(0.2),
      label_rate: z.strictObject({ min: z.number().min(0).max(1), max: z.number().min(0).max(1) }).optional(),
    })
    .default({ min_rows: 1000, max_null_rate: 0.2 }),
  trainer: z.discriminatedUnion('kind', [builtinTrainer, externalTrainer]),
  threshold: z.number().gt(0).lt(1).default(0.5),
  evaluation: z
    .strictObject({
      bootstrap: z.number().int().min(0).max(100_000).default(500),
      seed: z.number().int().default(7),
      min_slice_rows: z.number().int().positive().default(200),
    })
    .default({ bootstrap: 500, seed: 7, min_slice_rows: 200 }),
  gates: gates.default({}),
  approval: z.strictObject({
    approvers: z.array(z.string().min(1)).min(1, 'must name at least one approver'),
    admins: z.array(z.string().min(1)).default([]),
    expiry: duration.default('7d'),
  }),
  /** How quickly a crashed worker's data, training and evaluation work is retried elsewhere. */
  timeouts: z
    .strictObject({ heartbeat: duration.default('2m') })
    .default({ heartbeat: '2m' }),
  promotion: promotion.default({ stages: DEFAULT_STAGES.map((s) => ({ ...s })), analysis_interval: '10m', watch: '24h', operators: [], criteria: {} }),
  monitoring: monitoring.prefault({}),
});

/** The file as written (after defaults). */
export type ModelConfigFile = z.output<typeof modelConfigSchema>;
