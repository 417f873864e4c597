/**
 * Model config: parse and validate (pure), then a thin loader that reads the file.
 * Errors name the file, the field and the fix; parsing never throws on bad content — it returns
 * the errors so the CLI can print them all at once.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { DURATION, modelConfigSchema, type ModelConfigFile } from './config-schema';
import type { FeatureSpec } from './types';
import { DEFAULT_LIVE_CRITERIA, type LiveCriteria } from '../validation/live-analysis';
import { DEFAULT_HEALTH_ALERT, DEFAULT_HEALTH_WARN, type HealthPolicy, type HealthThresholds } from '../validation/monitoring';
import type { MONITOR_ACTIONS } from './config-schema';

export interface PromotionStage {
  name: string;
  mode: 'shadow' | 'canary';
  percent: number;
  minDurationMs: number;
  minSamples: number;
}

export interface PromotionConfig {
  stages: PromotionStage[];
  analysisIntervalMs: number;
  watchMs: number;
  /** Everyone allowed to pause, resume, abort or advance: operators, approvers and admins. */
  operators: string[];
  criteria: LiveCriteria;
}

export type MonitorAction = (typeof MONITOR_ACTIONS)[number];

export interface MonitoringConfig {
  intervalMs: number;
  windowMs: number;
  labelWindowMs: number;
  /** Warn and alert levels, the live-AUC floor and the data each check needs. */
  health: HealthPolicy;
  action: MonitorAction;
  cooldownMs: number;
  /** CBPE estimates are made only for a champion whose holdout ECE is at most this. */
  maxHoldoutEce: number;
}

export interface ModelConfig extends Omit<ModelConfigFile, 'features' | 'window' | 'approval' | 'trainer' | 'promotion' | 'monitoring' | 'timeouts'> {
  /** Absolute path of the file this came from (sources resolve relative to it). */
  configPath: string;
  features: FeatureSpec[];
  window: { lookbackMs: number };
  approval: { approvers: string[]; admins: string[]; expiryMs: number };
  promotion: PromotionConfig;
  monitoring: MonitoringConfig;
  /** Heartbeat timeout of data, training and evaluation activities: a crashed worker's work moves on after it. */
  timeouts: { heartbeatMs: number };
  trainer:
    | { kind: 'builtin-logistic'; params: { l2: number; max_iter: number; tol: number }; timeoutMs: number }
    | { kind: 'external'; command: string[]; params: Record<string, unknown>; timeoutMs: number; cwd: string };
}

export interface ConfigProblem {
  field: string; // dotted path, "" for the whole file
  message: string;
}

export type ParseResult =
  | { ok: true; config: ModelConfig; warnings: ConfigProblem[] }
  | { ok: false; errors: ConfigProblem[]; warnings: ConfigProblem[] };

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the model config\n` +
        problems.map((p) => `  - ${p.field || '(file)'}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new Error(`not a duration: "${text}" (use e.g. "90m", "36h", "7d")`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Parse and validate the text of a model config. `file` is used for paths and messages. */
export function parseModelConfig(text: string, file: string): ParseResult {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      warnings: [],
      errors: doc.errors.map((e) => ({ field: '', message: `YAML syntax: ${e.message.split('\n')[0]}` })),
    };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, warnings: [], errors: [{ field: '', message: 'expected a YAML mapping with keys such as model, source, label, features' }] };
  }
  const parsed = modelConfigSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, warnings: [], errors: parsed.error.issues.map((issue) => describeIssue(issue, raw)) };
  }
  return resolve(parsed.data, path.resolve(file));
}

export async function loadModelConfig(file: string): Promise<ModelConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [
      { field: '', message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)}); check the path or pass --config FILE` },
    ]);
  }
  const result = parseModelConfig(text, file);
  if (!result.ok) throw new ConfigError(file, result.errors);
  return result.config;
}

function resolve(file: ModelConfigFile, configPath: string): ParseResult {
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const features: FeatureSpec[] = Array.isArray(file.features)
    ? file.features
    : [
        ...file.features.numeric.map((name) => ({ name, type: 'numeric' as const })),
        ...file.features.categorical.map((name) => ({ name, type: 'categorical' as const })),
      ];
  if (features.length === 0) errors.push({ field: 'features', message: 'declare at least one feature (features.numeric or features.categorical)' });

  const seen = new Set<string>();
  for (const f of features) {
    if (seen.has(f.name)) errors.push({ field: 'features', message: `"${f.name}" is declared twice; keep one declaration` });
    seen.add(f.name);
  }
  const reserved: [string, string][] = [
    ['label', file.label],
    ['time_column', file.time_column],
    ['id_column', file.id_column],
  ];
  for (const [field, col] of reserved) {
    if (seen.has(col)) errors.push({ field, message: `"${col}" is also declared as a feature; a ${field.replace('_', ' ')} must not be a model input` });
  }
  for (const col of file.protected) {
    if (seen.has(col)) {
      warnings.push({ field: 'protected', message: `"${col}" is a model feature as well as a protected attribute; the model can use it directly` });
    }
  }
  const rate = file.data_checks.label_rate;
  if (rate && rate.min > rate.max) errors.push({ field: 'data_checks.label_rate', message: `min (${rate.min}) is above max (${rate.max}); swap them` });

  const floor = file.gates.min_performance;
  if (floor && ['auc', 'average_precision', 'accuracy', 'precision', 'recall', 'f1'].includes(floor.metric) && (floor.min < 0 || floor.min > 1)) {
    errors.push({ field: 'gates.min_performance.min', message: `${floor.metric} lies in [0, 1]; ${floor.min} can never be met` });
  }
  const { approvers, admins } = file.approval;
  for (const admin of admins) {
    if (!approvers.includes(admin)) warnings.push({ field: 'approval.admins', message: `"${admin}" is an admin but not an approver; admins may override gates but not approve` });
  }
  file.promotion.stages.forEach((stage, i) => {
    const before = file.promotion.stages[i - 1];
    if (before && stage.mode === 'canary' && before.mode === 'canary' && stage.percent <= before.percent) {
      errors.push({ field: `promotion.stages.${i}.percent`, message: `${stage.percent} does not increase on the previous canary's ${before.percent}; canary stages must widen` });
    }
  });
  const names = file.promotion.stages.map((s) => s.name);
  if (new Set(names).size !== names.length) errors.push({ field: 'promotion.stages', message: 'stage names must be unique' });
  const monitoring = resolveMonitoring(file.monitoring, errors);
  if (errors.length > 0) return { ok: false, errors, warnings };

  const dir = path.dirname(configPath);
  const trainer: ModelConfig['trainer'] =
    file.trainer.kind === 'external'
      ? { kind: 'external', command: file.trainer.command, params: file.trainer.params, timeoutMs: parseDuration(file.trainer.timeout), cwd: dir }
      : { kind: 'builtin-logistic', params: file.trainer.params, timeoutMs: parseDuration(file.trainer.timeout) };

  const config: ModelConfig = {
    ...file,
    configPath,
    source: { ...file.source, path: path.resolve(dir, file.source.path) },
    features,
    window: { lookbackMs: parseDuration(file.window.lookback) },
    approval: { approvers, admins, expiryMs: parseDuration(file.approval.expiry) },
    promotion: {
      stages: file.promotion.stages.map((s) => ({ name: s.name, mode: s.mode, percent: s.percent, minDurationMs: parseDuration(s.min_duration), minSamples: s.min_samples })),
      analysisIntervalMs: parseDuration(file.promotion.analysis_interval),
      watchMs: parseDuration(file.promotion.watch),
      operators: [...new Set([...file.promotion.operators, ...approvers, ...admins])],
      criteria: { ...DEFAULT_LIVE_CRITERIA, ...file.promotion.criteria },
    },
    monitoring: monitoring!,
    timeouts: { heartbeatMs: parseDuration(file.timeouts.heartbeat) },
    trainer,
  };
  return { ok: true, config, warnings };
}

/** The monitoring section with defaults filled in; problems go to `errors` (then the result is unused). */
function resolveMonitoring(m: ModelConfigFile['monitoring'], errors: ConfigProblem[]): MonitoringConfig | null {
  const levels = (given: ModelConfigFile['monitoring']['policy']['warn'], defaults: Readonly<HealthThresholds>): HealthThresholds => ({
    drifted_share: given.drifted_share === undefined ? defaults.drifted_share : given.drifted_share,
    feature_psi: given.feature_psi === undefined ? defaults.feature_psi : given.feature_psi,
    prediction_psi: given.prediction_psi === undefined ? defaults.prediction_psi : given.prediction_psi,
    auc_drop: given.auc_drop === undefined ? defaults.auc_drop : given.auc_drop,
  });
  const warn = levels(m.policy.warn, DEFAULT_HEALTH_WARN);
  const alert = levels(m.policy.alert, DEFAULT_HEALTH_ALERT);
  for (const key of Object.keys(warn) as (keyof HealthThresholds)[]) {
    if (warn[key] !== null && alert[key] !== null && warn[key]! > alert[key]!) {
      errors.push({ field: `monitoring.policy.warn.${key}`, message: `${warn[key]} is above the alert level ${alert[key]}; a warning must come before the alert` });
    }
  }
  if (m.policy.action === 'rollback' && m.policy.min_auc === undefined) {
    errors.push({ field: 'monitoring.policy.min_auc', message: 'action "rollback" needs min_auc: the live AUC under which the previous champion comes back' });
  }
  const intervalMs = parseDuration(m.interval);
  if (intervalMs <= 0) errors.push({ field: 'monitoring.interval', message: 'must be longer than 0, e.g. "1h"' });
  if (errors.length > 0) return null;
  return {
    intervalMs,
    windowMs: parseDuration(m.window),
    labelWindowMs: parseDuration(m.label_window),
    health: { warn, alert, min_auc: m.policy.min_auc ?? null, min_rows: m.min_rows, min_labels: m.min_labels },
    action: m.policy.action,
    cooldownMs: parseDuration(m.policy.cooldown),
    maxHoldoutEce: m.estimate.max_holdout_ece,
  };
}

// ---- error messages -------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;

function describeIssue(issue: Issue, raw: unknown): ConfigProblem {
  const field = issue.path.map(String).join('.');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(issue.path);
      const parts = issue.keys.map((key) => {
        const guess = closest(key, known);
        return guess ? `unknown key "${key}" (did you mean "${guess}"?)` : `unknown key "${key}"`;
      });
      return { field, message: `${parts.join('; ')}${known.length ? `; allowed keys: ${known.join(', ')}` : ''}` };
    }
    case 'invalid_value': {
      const got = valueAt(raw, issue.path);
      const options = issue.values.map(String);
      const guess = typeof got === 'string' ? closest(got, options) : undefined;
      return {
        field,
        message: `${JSON.stringify(got)} is not allowed; use one of ${options.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`,
      };
    }
    case 'invalid_type': {
      const got = valueAt(raw, issue.path);
      if (got === undefined) return { field, message: `is required (expected ${issue.expected})` };
      return { field, message: `expected ${issue.expected}, got ${JSON.stringify(got)}` };
    }
    case 'invalid_union': {
      const got = valueAt(raw, issue.path);
      if (field.startsWith('trainer')) {
        const kind = valueAt(raw, ['trainer', 'kind']);
        return { field: 'trainer.kind', message: `must be "builtin-logistic" or "external" (got ${JSON.stringify(kind)})` };
      }
      if (field === 'features') {
        return { field, message: 'use either { numeric: [...], categorical: [...] } or a list of { name, type } entries' };
      }
      return { field, message: issue.message };
    }
    default: {
      const got = valueAt(raw, issue.path);
      return { field, message: got === undefined ? issue.message : `${issue.message} (got ${JSON.stringify(got)})` };
    }
  }
}

function valueAt(raw: unknown, keys: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const key of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** Keys of the object schema at `keys`, walking through defaults, optionals, arrays and unions. */
function knownKeysAt(keys: readonly PropertyKey[]): string[] {
  let schemas: unknown[] = [modelConfigSchema];
  for (const key of keys) {
    schemas = schemas.flatMap((s) => unwrap(s)).flatMap((s) => {
      const def = (s as { _zod: { def: Record<string, unknown> } })._zod.def;
      if (def.type === 'object') {
        const child = (def.shape as Record<string, unknown>)[String(key)];
        return child ? [child] : [];
      }
      if (def.type === 'array' && typeof key === 'number') return [def.element];
      return [];
    });
  }
  const result = new Set<string>();
  for (const s of schemas.flatMap((x) => unwrap(x))) {
    const def = (s as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type === 'object') Object.keys(def.shape as object).forEach((k) => result.add(k));
  }
  return [...result];
}

function unwrap(schema: unknown): unknown[] {
  const def = (schema as { _zod: { def: Record<string, unknown> } })._zod.def;
  if (def.type === 'default' || def.type === 'optional' || def.type === 'nullable' || def.type === 'prefault') return unwrap(def.innerType);
  if (def.type === 'union') return (def.options as unknown[]).flatMap(unwrap);
  return [schema];
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
