/**
 * `ratchet evaluate` and `ratchet drift` as child processes on demo data with real models: the
 * documented JSON keys, a missing column as a usage error that names it, and terminal output that
 * has colour only on a terminal without NO_COLOR.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { METRIC_NAMES } from '../../validation';
import { ANSI, BIN, cliWorkspace, ROOT, runCli, type CliWorkspace } from '../helpers/cli';

// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;]*m/;

/** Runs the CLI on a pseudo-terminal (Python's pty), so it sees a TTY as on a developer's screen. */
function runOnTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const script = 'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))';
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', script, process.execPath, BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('ratchet evaluate / drift (child processes)', () => {
  let ws: CliWorkspace;
  before(async () => {
    ws = await cliWorkspace();
  });
  after(() => ws?.cleanup());

  const evaluateArgs = () => ['evaluate', '--model', ws.modelPath, '--data', ws.lastWeek, '--label', 'defaulted', '--slice', 'region', '--protected', 'gender', '--bootstrap', '50'];

  test('evaluate --json has the documented keys; --baseline adds baseline.overall, delta and churn', async () => {
    const [plain, paired] = await Promise.all([runCli([...evaluateArgs(), '--json']), runCli([...evaluateArgs(), '--baseline', ws.weakModelPath, '--json'])]);
    assert.equal(plain.code, 0, plain.stderr);
    const report = JSON.parse(plain.stdout);
    for (const key of ['rows', 'threshold', 'overall', 'ci', 'slices', 'fairness']) assert.ok(key in report, `evaluate --json lacks "${key}"`);
    assert.equal(report.rows, 1500, 'one week of the 6,000-row, 4-week demo data');
    assert.equal(report.threshold, 0.5);
    assert.deepEqual(Object.keys(report.overall).sort(), [...METRIC_NAMES].sort());
    for (const metric of METRIC_NAMES) {
      assert.equal(typeof report.overall[metric], 'number', `overall.${metric}`);
      const ci = report.ci[metric];
      assert.ok(ci === null || (Array.isArray(ci) && ci.length === 2 && ci[0] <= ci[1]), `ci.${metric} is [low, high]: ${JSON.stringify(ci)}`);
    }
    // A real model on data like its training data: far from chance, so scoring went through.
    assert.ok(report.overall.auc > 0.65 && report.overall.auc < 1, `auc ${report.overall.auc}`);
    assert.ok(report.ci.auc[0] <= report.overall.auc && report.overall.auc <= report.ci.auc[1]);
    assert.deepEqual([...new Set(report.slices.map((s: { column: string }) => s.column))], ['region']);
    assert.equal(report.slices.reduce((n: number, s: { rows: number }) => n + s.rows, 0), 1500, 'the region slices cover every row');
    assert.ok(report.fairness.gender, 'fairness per protected column');
    for (const key of ['demographic_parity_difference', 'equalized_odds_difference', 'disparate_impact_ratio', 'groups']) assert.ok(key in report.fairness.gender, `fairness.gender.${key}`);
    assert.equal(report.baseline, undefined, 'no baseline section without --baseline');

    assert.equal(paired.code, 0, paired.stderr);
    const withBaseline = JSON.parse(paired.stdout);
    assert.deepEqual(Object.keys(withBaseline.baseline.overall).sort(), [...METRIC_NAMES].sort());
    for (const metric of METRIC_NAMES) {
      const d = withBaseline.delta[metric];
      assert.ok(d && 'value' in d && 'ci' in d, `delta.${metric} has value and ci`);
    }
    assert.ok(Math.abs(withBaseline.delta.auc.value - (withBaseline.overall.auc - withBaseline.baseline.overall.auc)) < 1e-9, 'delta = candidate - baseline');
    assert.ok(typeof withBaseline.churn === 'number' && withBaseline.churn >= 0 && withBaseline.churn <= 1, `churn ${withBaseline.churn}`);
    assert.equal(withBaseline.overall.auc, report.overall.auc, 'the candidate scores the same with or without a baseline');
  });

  test('a column the data lacks is a usage error naming it and the columns there are', async () => {
    const result = await runCli([...evaluateArgs(), '--slice', 'postcode']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /lacks column postcode; it has application_id, customer_id, applied_at/);
    assert.equal(result.stdout, '');
  });

  test('drift --json has the documented keys and finds the drift injected into credit_utilization', async () => {
    const first = ws.lastWeek.replace(/week-\d+/, 'week-01');
    const result = await runCli(['drift', '--reference', first, '--current', ws.lastWeek, '--columns', 'income,credit_utilization,region,loan_purpose', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(report).sort(), ['columns', 'correction', 'drifted_columns', 'drifted_share', 'evaluated_columns', 'prediction', 'thresholds'].sort());
    assert.deepEqual(report.columns.map((c: { column: string }) => c.column), ['income', 'credit_utilization', 'region', 'loan_purpose']);
    for (const column of report.columns) {
      for (const key of ['column', 'type', 'psi', 'js_distance', 'verdict', 'drifted']) assert.ok(key in column, `drift column ${column.column} lacks ${key}`);
      assert.ok(column.type === 'numeric' ? 'ks_statistic' in column : 'chi2_statistic' in column);
    }
    assert.ok(report.drifted_columns.includes('credit_utilization'), `drifted: ${report.drifted_columns}`);
    assert.deepEqual(Object.keys(report.thresholds).sort(), ['min_rows', 'psi_drift', 'psi_warn']);
  });

  test('output into a pipe, and on a terminal with NO_COLOR, carries no escape codes; a plain terminal gets colour', async () => {
    const first = ws.lastWeek.replace(/week-\d+/, 'week-01');
    const drift = ['drift', '--reference', first, '--current', ws.lastWeek, '--columns', 'income,credit_utilization'];
    const [piped, pipedError, noColor, colour] = await Promise.all([
      runCli(evaluateArgs()),
      runCli([...evaluateArgs(), '--slice', 'postcode']),
      runOnTerminal(drift, { NO_COLOR: '1' }),
      runOnTerminal(drift, { NO_COLOR: '', TERM: 'xterm' }),
    ]);
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stdout, /auc/);
    assert.doesNotMatch(piped.stdout + piped.stderr, ANSI, 'evaluate into a pipe');
    assert.doesNotMatch(pipedError.stderr, ANSI, 'an error into a pipe');
    assert.equal(noColor.code, 0, noColor.output);
    assert.match(noColor.output, /credit_utilization/);
    assert.doesNotMatch(noColor.output, SGR, 'NO_COLOR on a terminal');
    assert.equal(colour.code, 0, colour.output);
    assert.match(colour.output, SGR, 'a terminal without NO_COLOR gets colour (so the check above can fail)');
  });
});
