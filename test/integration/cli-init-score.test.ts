/**
 * `ratchet init` and `ratchet score` as child processes on demo data: the config init writes loads
 * and its data checks pass on the data it came from; its refusals are clear; score writes the same
 * scores as OnnxModel.scoreTable on the same rows, in the input's order, from the champion or a
 * named version, and refuses an artifact that fails its integrity check.
 */
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModelConfig } from '../../core/config';
import { checkData } from '../../data/checks';
import { quoteIdentifier, withDuckDB } from '../../data/duckdb';
import { readTable } from '../../data/read';
import { pullSnapshot } from '../../data/snapshot';
import { generateDemoData } from '../../examples/demo-data/generate';
import { FsRegistryStore } from '../../registry/fs-store';
import { OnnxModel } from '../../scoring/onnx-model';
import { SCORE_CHUNK_ROWS } from '../../cli/commands/score';
import { ANSI, cliWorkspace, DEMO_FEATURES, registerModel, runCli, trainOnDemo, type CliWorkspace } from '../helpers/cli';

describe('ratchet init (child processes)', () => {
  let ws: CliWorkspace;
  before(async () => {
    ws = await cliWorkspace();
  });
  after(() => ws?.cleanup());

  test('writes a commented config from the data that loads and whose data checks pass on that data', async () => {
    const out = path.join(ws.dir, 'models', 'credit.yaml');
    const result = await runCli(['init', 'credit', '--data', ws.dataGlob, '--label', 'defaulted', '--out', out, '--json'], { cwd: ws.dir });
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.config, out);

    const config = await loadModelConfig(out);
    assert.equal(config.model, 'credit');
    assert.equal(config.source.path, ws.dataGlob, 'source.path is written relative to the config and resolves back to the data');
    assert.equal(config.time_column, 'applied_at');
    assert.equal(config.id_column, 'application_id');
    assert.equal(config.entity_column, 'customer_id', 'customer_id repeats for returning customers: the entity, not the id');
    assert.equal(config.label, 'defaulted');
    const byName = Object.fromEntries(config.features.map((f) => [f.name, f.type]));
    for (const name of ['income', 'debt_to_income', 'credit_utilization', 'age', 'months_employed', 'num_late_payments', 'loan_amount', 'num_credit_lines']) {
      assert.equal(byName[name], 'numeric', name);
    }
    for (const name of ['home_ownership', 'loan_purpose', 'employment_type']) assert.equal(byName[name], 'categorical', name);
    for (const name of ['application_id', 'customer_id', 'applied_at', 'defaulted', 'age_band', 'gender']) assert.equal(byName[name], undefined, `${name} must not be a feature`);
    assert.deepEqual(config.segments, ['region', 'channel']);
    assert.deepEqual(config.protected, [], 'protected attributes are suggested in a comment, not switched on');
    const text = await readFile(out, 'utf8');
    assert.match(text, /^# protected: \[age_band, gender\]$/m);
    assert.ok(config.approval.approvers.length > 0);
    assert.ok(config.gates.min_performance && config.gates.non_regression, 'sensible default gates');
    assert.match(text, /^# .*$/m);
    assert.doesNotMatch(result.stdout + result.stderr, ANSI);

    // The bounds init derived from the data must accept the data: a run on it would not fail its checks.
    const asOf = new Date(`${summary.suggested_as_of}T00:00:00Z`);
    const snapshot = await pullSnapshot({
      model: config.model,
      source: config.source,
      timeColumn: config.time_column,
      window: { from: new Date(asOf.getTime() - config.window.lookbackMs).toISOString(), to: asOf.toISOString() },
      snapshotDir: path.join(ws.home, 'snapshots'),
      now: new Date(),
    });
    assert.equal(snapshot.rows, 6000, 'the suggested as-of and lookback take in the whole history');
    const checks = await checkData(snapshot, {
      features: config.features,
      label: config.label,
      timeColumn: config.time_column,
      idColumn: config.id_column,
      minRows: config.data_checks.min_rows,
      maxNullRate: config.data_checks.max_null_rate,
      labelRate: config.data_checks.label_rate,
    });
    assert.ok(checks.ok, `data checks failed: ${JSON.stringify(checks.checks.filter((c) => c.verdict === 'fail'))}`);
  });

  test('refuses to overwrite without --force, and overwrites with it', async () => {
    const out = path.join(ws.dir, 'again.yaml');
    await writeFile(out, 'hand-written\n');
    const refused = await runCli(['init', 'credit', '--data', ws.dataGlob, '--label', 'defaulted', '--out', out]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /already exists; pass --force/);
    assert.equal(await readFile(out, 'utf8'), 'hand-written\n', 'the existing file is untouched');
    const forced = await runCli(['init', 'credit', '--data', ws.dataGlob, '--label', 'defaulted', '--out', out, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal((await loadModelConfig(out)).model, 'credit');
  });

  test('a missing label column names the columns there are; a label that is not 0/1 is refused', async () => {
    const notBinary = path.join(ws.dir, 'not-binary.parquet');
    await withDuckDB(async (c) => {
      // The label replaced by a count (0 to 6 late payments): plausible-looking, but not binary.
      await c.run(`COPY (SELECT * REPLACE (num_late_payments AS defaulted) FROM read_parquet($1)) TO $2 (FORMAT parquet)`, [ws.lastWeek, notBinary]);
    });
    const [missing, nonBinary] = await Promise.all([
      runCli(['init', 'credit', '--data', ws.dataGlob, '--label', 'default_flag', '--out', path.join(ws.dir, 'x.yaml')]),
      runCli(['init', 'credit', '--data', notBinary, '--label', 'defaulted', '--out', path.join(ws.dir, 'y.yaml')]),
    ]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /label column "default_flag" is not in .*; columns available: application_id \(VARCHAR\), customer_id \(VARCHAR\), applied_at \(TIMESTAMP\)/);
    assert.match(missing.stderr, /defaulted \(INTEGER\)/);
    assert.equal(nonBinary.code, 2, nonBinary.stderr);
    assert.match(nonBinary.stderr, /label column "defaulted" is not binary: besides 0 and 1 it holds 2, 3/);
  });
});

describe('ratchet score (child processes)', () => {
  let ws: CliWorkspace;
  let bigData: string;
  let strong: Uint8Array;
  let weak: Uint8Array;
  const weakFeatures = DEMO_FEATURES.slice(0, 2);

  before(async () => {
    ws = await cliWorkspace();
    // More rows than one scoring chunk, over two files: rows must keep their scores across chunks.
    const big = await generateDemoData({ outDir: path.join(ws.dir, 'big'), seed: 5, rows: SCORE_CHUNK_ROWS + 7_000, weeks: 2, start: '2026-03-02', driftWeek: 2 });
    bigData = path.join(ws.dir, 'big', '*.parquet');
    assert.equal(big.files.length, 2);
    strong = await trainOnDemo(ws.lastWeek, DEMO_FEATURES);
    weak = await trainOnDemo(ws.lastWeek, weakFeatures);
    await registerModel(ws.home, 'credit', strong, DEMO_FEATURES, { champion: true });
    await registerModel(ws.home, 'credit', weak, weakFeatures);
    await registerModel(ws.home, 'unrouted', weak, weakFeatures);
  });
  after(() => ws?.cleanup());

  async function readOutput(file: string): Promise<Record<string, unknown>[]> {
    return withDuckDB(async (c) => {
      const reader = file.endsWith('.csv') ? 'read_csv' : 'read_parquet';
      return (await c.runAndReadAll(`SELECT * FROM ${reader}($1)`, [file])).getRowObjectsJS();
    });
  }

  async function expectedScores(data: string, bytes: Uint8Array, features: typeof DEMO_FEATURES) {
    const { table } = await readTable(data, { features, extraColumns: ['application_id'] });
    const model = await OnnxModel.load(bytes, features);
    try {
      return { ids: table.columns.application_id as string[], scores: await model.scoreTable(table) };
    } finally {
      await model.close();
    }
  }

  test('the champion scores every row, in order, as OnnxModel.scoreTable does; every input column is kept', async () => {
    const out = path.join(ws.dir, 'scored.parquet');
    const result = await runCli(['score', '--model', 'credit', '--data', bigData, '--out', out], { env: { RATCHET_HOME: ws.home }, cwd: ws.dir });
    assert.equal(result.code, 0, result.stderr);
    // Progress in chunks, as plain lines outside a terminal.
    assert.match(result.stderr, /scoring credit v1: 50,000 \/ 57,000 rows/);
    assert.match(result.stderr, /scored 57,000 rows with credit v1/);
    assert.doesNotMatch(result.stderr, ANSI);

    const rows = await readOutput(out);
    const expected = await expectedScores(bigData, strong, DEMO_FEATURES);
    assert.equal(rows.length, expected.scores.length);
    assert.deepEqual(Object.keys(rows[0]!).slice(-3), ['score', 'label', 'version']);
    assert.ok('applied_at' in rows[0]! && 'region' in rows[0]!, 'without a config, every input column is written');
    let worst = 0;
    rows.forEach((row, i) => {
      assert.equal(row.application_id, expected.ids[i], `row ${i} is out of order`);
      worst = Math.max(worst, Math.abs((row.score as number) - expected.scores[i]!));
      assert.equal(Number(row.label), (row.score as number) >= 0.3 ? 1 : 0, 'label from the version threshold (0.3)');
      assert.equal(Number(row.version), 1);
    });
    assert.ok(worst <= 1e-9, `scores differ from OnnxModel.scoreTable by up to ${worst}`);
  });

  test('--version and --config: a named version, only the id column beside the scores, CSV by extension', async () => {
    const configFile = path.join(ws.dir, 'credit.yaml');
    const init = await runCli(['init', 'credit', '--data', ws.dataGlob, '--label', 'defaulted', '--out', configFile]);
    assert.equal(init.code, 0, init.stderr);
    const out = path.join(ws.dir, 'v2.csv');
    const result = await runCli(['score', '--model', 'credit', '--version', '2', '--config', configFile, '--data', ws.lastWeek, '--out', out, '--json'], { env: { RATCHET_HOME: ws.home } });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout).columns, ['application_id', 'score', 'label', 'version']);
    const rows = await readOutput(out);
    assert.deepEqual(Object.keys(rows[0]!), ['application_id', 'score', 'label', 'version']);
    const expected = await expectedScores(ws.lastWeek, weak, weakFeatures);
    rows.forEach((row, i) => {
      assert.equal(row.application_id, expected.ids[i]);
      // CSV holds the decimal text DuckDB wrote: the shortest round-trip form of the double.
      assert.ok(Math.abs((row.score as number) - expected.scores[i]!) <= 1e-12, `row ${i}: ${row.score} vs ${expected.scores[i]}`);
      assert.equal(Number(row.version), 2);
    });
  });

  test('refusals: no champion, an unknown version, a missing feature, a damaged artifact', async () => {
    const env = { RATCHET_HOME: ws.home };
    const lacking = path.join(ws.dir, 'lacking.parquet');
    await withDuckDB((c) => c.run(`COPY (SELECT * EXCLUDE (${quoteIdentifier('income')}) FROM read_parquet($1)) TO $2 (FORMAT parquet)`, [ws.lastWeek, lacking]));
    const [unrouted, unknown, missingFeature] = await Promise.all([
      runCli(['score', '--model', 'unrouted', '--data', ws.lastWeek, '--out', path.join(ws.dir, 'a.parquet')], { env }),
      runCli(['score', '--model', 'credit', '--version', '9', '--data', ws.lastWeek, '--out', path.join(ws.dir, 'b.parquet')], { env }),
      runCli(['score', '--model', 'credit', '--data', lacking, '--out', path.join(ws.dir, 'c.parquet')], { env }),
    ]);
    assert.equal(unrouted.code, 2, unrouted.stderr);
    assert.match(unrouted.stderr, /unrouted has no champion yet.*--version N \(versions: v1 \(approved\)\)/);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /credit has no version 9; versions: v1 \(champion\), v2 \(approved\)/);
    assert.equal(missingFeature.code, 2, missingFeature.stderr);
    assert.match(missingFeature.stderr, /lacks the model's feature income; it has application_id/);

    // Damage the champion's stored artifact by one byte: scoring must refuse it, not score with it.
    const store = new FsRegistryStore(path.join(ws.home, 'registry'));
    const champion = await store.getVersion('credit', 1);
    const file = path.join(ws.home, 'registry', 'artifacts', 'sha256', `${champion.artifact.sha256}.onnx`);
    const bytes = await readFile(file);
    bytes[bytes.length - 1] ^= 0xff;
    await chmod(file, 0o644);
    await writeFile(file, bytes);
    const damaged = await runCli(['score', '--model', 'credit', '--data', ws.lastWeek, '--out', path.join(ws.dir, 'd.parquet')], { env });
    assert.equal(damaged.code, 1, damaged.stderr);
    assert.match(damaged.stderr, /credit v1 was not used: .*integrity check/);
    assert.match(damaged.stderr, /score another version with --version N/);
    assert.doesNotMatch(damaged.stderr, /^\s+at /m, 'a clear message, not a stack trace');
  });
});
