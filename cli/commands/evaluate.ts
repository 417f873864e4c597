/** ratchet evaluate and ratchet drift: back-test any ONNX model on any data, compare two datasets. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { FeatureSpec } from '../../core/types';
import { readSchema, readTable } from '../../data/read';
import { evaluateModels } from '../../evaluation/evaluate-models';
import { inferFeatures, parseFeatureList } from '../../scoring/infer-features';
import { DEFAULT_DRIFT_THRESHOLDS, driftReport, METRIC_NAMES, type DriftReport, type EvaluationReport, type GoldenCase } from '../../validation';
import { CliError } from '../errors';
import { num, paint, StatusLine, table } from '../format';
import { print } from './runs';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerEvaluateCommands(program: Command): void {
  program
    .command('evaluate')
    .description('evaluate an ONNX model (and optionally a baseline) on a Parquet or CSV file: metrics, CIs, slices, fairness, paired deltas')
    .requiredOption('--model <file>', 'ONNX model')
    .requiredOption('--data <file>', 'Parquet or CSV file with the features and the label')
    .requiredOption('--label <column>', 'label column (0/1)')
    .option('--baseline <file>', 'baseline ONNX model for paired deltas and churn')
    .option('--slice <column>', 'slice column (repeatable)', collect, [])
    .option('--protected <column>', 'protected attribute for fairness (repeatable)', collect, [])
    .option('--threshold <p>', 'decision threshold', '0.5')
    .option('--bootstrap <n>', 'bootstrap replicates', '1000')
    .option('--seed <n>', 'bootstrap seed', '0')
    .option('--min-slice-rows <n>', 'slices below this size are insufficient_data', '100')
    .option('--features <list>', 'features as name:n|c,... when the model does not declare them')
    .option('--golden <file>', 'golden cases: JSON [{ id, expected: { label?, min_score?, max_score? } }] with a sibling data file given by --golden-data')
    .option('--golden-data <file>', 'rows of the golden cases, in the same order')
    .option('--json', 'print one JSON object')
    .action(async (opts) => {
      opts.data = path.resolve(opts.data);
      const threshold = probability(opts.threshold, '--threshold');
      const candidate = await loadModel(opts.model, opts.features);
      const baseline = opts.baseline ? await loadModel(opts.baseline, opts.features) : undefined;
      await requireColumns(opts.data, [...candidate.features.map((f) => f.name), opts.label, ...opts.slice, ...opts.protected]);
      const line = new StatusLine();
      const evaluated = await evaluateModels({
        dataPath: opts.data,
        label: opts.label,
        candidate,
        baseline,
        sliceColumns: opts.slice,
        protectedColumns: opts.protected,
        threshold,
        bootstrap: { replicates: integer(opts.bootstrap, '--bootstrap'), seed: integer(opts.seed, '--seed') },
        minSliceRows: integer(opts.minSliceRows, '--min-slice-rows'),
        golden: opts.golden ? await goldenInput(opts.golden, opts.goldenData) : undefined,
        latencyRows: 0,
        onProgress: (step) => line.update(`… ${step}`),
      });
      line.done('');
      const { report, golden } = evaluated;
      const json = { ...cliShape(report), ...(golden ? { golden } : {}) };
      print(opts.json, json, () => renderEvaluation(report));
    });

  program
    .command('drift')
    .description('feature drift between a reference and a current dataset: PSI, Jensen–Shannon, KS or chi-square per column')
    .requiredOption('--reference <file>', 'Parquet or CSV')
    .requiredOption('--current <file>', 'Parquet or CSV')
    .option('--columns <list>', 'comma-separated columns (default: every column both files share)')
    .option('--psi-warn <x>', 'PSI at which a column warns', String(DEFAULT_DRIFT_THRESHOLDS.psiWarn))
    .option('--psi-drift <x>', 'PSI at which a column has drifted', String(DEFAULT_DRIFT_THRESHOLDS.psiDrift))
    .option('--min-rows <n>', 'fewer non-missing values than this is insufficient_data', String(DEFAULT_DRIFT_THRESHOLDS.minRows))
    .option('--fdr <alpha>', 'also flag columns whose Benjamini–Hochberg adjusted p-value is below alpha')
    .option('--json', 'print one JSON object')
    .action(async (opts) => {
      opts.reference = path.resolve(opts.reference);
      opts.current = path.resolve(opts.current);
      const [ref, cur] = await Promise.all([readSchema(opts.reference), readSchema(opts.current)]);
      const shared = ref.filter((c) => cur.some((d) => d.name === c.name));
      // Times and binary blobs are not distributions to compare: left out unless asked for by name.
      const comparable = (type: string) => !/TIMESTAMP|DATE|TIME|INTERVAL|BLOB|BIT/i.test(type);
      const wanted: string[] = opts.columns
        ? String(opts.columns).split(',').map((c: string) => c.trim())
        : shared.filter((c) => comparable(c.type)).map((c) => c.name);
      const specs: FeatureSpec[] = wanted.map((name) => {
        const column = shared.find((c) => c.name === name);
        if (!column) throw new CliError(`column "${name}" is not in both files; shared columns: ${shared.map((c) => c.name).join(', ')}`, 2);
        if (!comparable(column.type)) throw new CliError(`column "${name}" is ${column.type}: drift is measured on numeric and categorical columns only`, 2);
        return { name, type: /CHAR|TEXT|STRING|BOOL|ENUM|UUID/i.test(column.type) ? 'categorical' : 'numeric' };
      });
      const [reference, current] = await Promise.all([readTable(opts.reference, { features: specs }), readTable(opts.current, { features: specs })]);
      const report = driftReport(reference.table, current.table, specs, {
        thresholds: { psiWarn: Number(opts.psiWarn), psiDrift: Number(opts.psiDrift), minRows: integer(opts.minRows, '--min-rows') },
        pvalueFlag: opts.fdr ? { alpha: probability(opts.fdr, '--fdr') } : undefined,
      });
      print(opts.json, report, () => renderDrift(report));
    });
}

async function loadModel(file: string, features?: string) {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new CliError(`cannot read model ${file} (${(err as NodeJS.ErrnoException).code}); check the path`, 2);
  }
  return { bytes, features: features ? parseFeatureList(features) : inferFeatures(bytes, file) };
}

async function requireColumns(file: string, columns: string[]): Promise<void> {
  const schema = await readSchema(file);
  const missing = columns.filter((c) => !schema.some((s) => s.name === c));
  if (missing.length) {
    throw new CliError(`${file} lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; it has ${schema.map((s) => s.name).join(', ')}`, 2);
  }
}

async function goldenInput(casesFile: string, dataFile: string | undefined): Promise<{ dataPath: string; cases: GoldenCase[] }> {
  if (!dataFile) throw new CliError('--golden needs --golden-data FILE with the cases\' feature rows, in the same order', 2);
  return { dataPath: path.resolve(dataFile), cases: JSON.parse(await readFile(casesFile, 'utf8')) as GoldenCase[] };
}

/** The documented JSON shape of `ratchet evaluate --json`. */
function cliShape(report: EvaluationReport) {
  const strip = <T extends { reasons?: unknown }>(set: T) => {
    const { reasons: _r, ...rest } = set;
    return rest;
  };
  return {
    rows: report.rows,
    threshold: report.threshold,
    overall: strip(report.overall),
    ci: report.ci,
    slices: report.slices.map(({ ci: _ci, baseline: _b, reasons: _r, ...rest }) => rest),
    fairness: report.fairness,
    ...(report.baseline ? { baseline: { overall: strip(report.baseline.overall) }, delta: report.delta, churn: report.churn?.value ?? null } : {}),
    notes: report.notes,
    reasons: report.overall.reasons,
  };
}

function renderEvaluation(report: EvaluationReport): string {
  const lines = [`${paint('rows', 'bold')} ${report.rows}   threshold ${report.threshold}   bootstrap ${report.bootstrap.replicates} (seed ${report.bootstrap.seed})`, ''];
  const header = ['metric', 'value', '95% CI', ...(report.baseline ? ['baseline', 'delta', 'delta CI'] : [])];
  lines.push(
    table(
      header,
      METRIC_NAMES.map((m) => {
        const ci = report.ci[m];
        const row = [m, num(report.overall[m]), ci ? `[${num(ci[0])}, ${num(ci[1])}]` : '—'];
        if (report.baseline) {
          const d = report.delta![m];
          row.push(num(report.baseline.overall[m]), num(d.value), d.ci ? `[${num(d.ci[0])}, ${num(d.ci[1])}]` : '—');
        }
        return row;
      }),
    ),
  );
  if (report.churn) lines.push('', `churn ${num(report.churn.value)} (${report.churn.flipped_to_wrong} of ${report.churn.baseline_correct} rows the baseline got right)`);
  if (report.slices.length) {
    lines.push('', paint('slices', 'bold'), table(['column', 'value', 'rows', 'auc', 'f1', 'positive_rate', 'status'], report.slices.map((s) => [s.column, s.value, String(s.rows), num(s.auc), num(s.f1), num(s.positive_rate), s.status])));
  }
  for (const [column, f] of Object.entries(report.fairness)) {
    lines.push(
      '',
      paint(`fairness: ${column}`, 'bold'),
      `demographic parity difference ${num(f.demographic_parity_difference)}, ratio ${num(f.demographic_parity_ratio)}; equalized odds difference ${num(f.equalized_odds_difference)}, ratio ${num(f.equalized_odds_ratio)}`,
      table(['group', 'rows', 'selection_rate', 'tpr', 'fpr', 'auc'], f.groups.map((g) => [g.value, String(g.rows), num(g.selection_rate), num(g.tpr), num(g.fpr), num(g.auc)])),
    );
  }
  const reasons = Object.entries(report.overall.reasons);
  if (reasons.length) lines.push('', ...reasons.map(([m, r]) => `note: ${m}: ${r}`));
  return lines.join('\n');
}

function renderDrift(report: DriftReport): string {
  return [
    table(
      ['column', 'type', 'psi', 'js', 'statistic', 'p-value', 'verdict'],
      report.columns.map((c) => [
        c.column,
        c.type,
        num(c.psi),
        num(c.js_distance),
        c.type === 'numeric' ? `KS ${num(c.ks_statistic)}` : `χ² ${num(c.chi2_statistic)}`,
        num(c.type === 'numeric' ? c.ks_pvalue : c.chi2_pvalue, 6),
        c.drifted ? paint('DRIFTED', 'red') : c.verdict === 'warn' ? paint('warn', 'yellow') : c.verdict,
      ]),
    ),
    '',
    `drifted share ${num(report.drifted_share)} (PSI ≥ ${report.thresholds.psi_drift} drifted, ≥ ${report.thresholds.psi_warn} warn)`,
  ].join('\n');
}

function integer(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag} must be a non-negative integer, got "${text}"`, 2);
  return n;
}

function probability(text: string, flag: string): number {
  const p = Number(text);
  if (!(p > 0 && p < 1)) throw new CliError(`${flag} must be a number between 0 and 1, got "${text}"`, 2);
  return p;
}
