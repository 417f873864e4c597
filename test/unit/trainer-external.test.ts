import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FeatureSpec } from '../../core/types';
import { OnnxModel } from '../../scoring/onnx-model';
import { trainExternal, TrainerError, type ExternalTrainInput } from '../../trainers/external';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const scriptedTrainer = path.join(repo, 'test/fixtures/trainers/scripted-trainer.mjs');
const validModel = path.join(repo, 'test/fixtures/trainers/sklearn-zipmap.onnx');
const validModelFeatures = (JSON.parse(readFileSync(path.join(repo, 'test/fixtures/trainers/sklearn-zipmap.json'), 'utf8')) as { features: FeatureSpec[] }).features;

const FEATURES: FeatureSpec[] = [
  { name: 'x1', type: 'numeric' },
  { name: 'x2', type: 'numeric' },
  { name: 'colour', type: 'categorical' },
];

let root = '';
let trainPath = '';
let validPath = '';

/** Nearly separable data with missing values in both kinds of feature, written by DuckDB. */
async function writeSplit(file: string, from: number, to: number): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(
      `COPY (
         SELECT *, CASE WHEN coalesce(x1, 0) + CASE colour WHEN 'red' THEN 2 ELSE 0 END - 0.5 * x2 > 0 THEN 1 ELSE 0 END AS label
         FROM (
           SELECT i AS id,
                  CASE WHEN i % 23 = 0 THEN NULL ELSE ((i * 7919) % 1000) / 100.0 - 5 END AS x1,
                  ((i * 104729) % 997) / 99.7 - 5 AS x2,
                  CASE WHEN i % 19 = 0 THEN NULL ELSE ['red', 'green', 'blue'][(i % 3) + 1] END AS colour
           FROM range(${from}, ${to}) t(i)
         )
       ) TO '${file}' (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ratchet-trainer-external-'));
  trainPath = path.join(root, 'train.parquet');
  validPath = path.join(root, 'valid.parquet');
  await writeSplit(trainPath, 0, 800);
  await writeSplit(validPath, 800, 1100);
});
after(() => rm(root, { recursive: true, force: true }));

/** Probability that a random positive outscores a random negative (ties count half). */
function auc(scores: Float64Array, labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  labels.forEach((yi, i) => {
    if (yi !== 1) return;
    labels.forEach((yj, j) => {
      if (yj !== 0) return;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

const scripted = (mode: string, overrides: Partial<ExternalTrainInput> = {}): Promise<unknown> =>
  trainExternal({
    command: [process.execPath, scriptedTrainer],
    trainPath,
    validPath,
    outDir: path.join(root, `out-${mode}`),
    features: validModelFeatures,
    label: 'label',
    timeoutMs: 20_000,
    env: { SCRIPTED_TRAINER_MODE: mode, SCRIPTED_TRAINER_MODEL: validModel },
    ...overrides,
  });

test('the scikit-learn example trains through the protocol and its model ranks well', async () => {
  const outDir = path.join(root, 'sklearn');
  const heartbeats: { elapsedMs: number; lastLine: string | null }[] = [];
  const lines: string[] = [];
  const result = await trainExternal({
    command: ['python3', path.join(repo, 'examples/sklearn-trainer/train.py')],
    trainPath,
    validPath,
    outDir,
    features: FEATURES,
    label: 'label',
    params: { C: 10 },
    timeoutMs: 120_000,
    heartbeatIntervalMs: 250,
    onHeartbeat: (info) => heartbeats.push(info),
    onLine: (line) => lines.push(line),
  });
  assert.equal(result.meta.trainer, 'sklearn-logistic-regression');
  assert.deepEqual(result.meta.features, FEATURES);
  assert.equal(result.meta.params.C, 10);
  assert.equal(result.meta.train_rows, 800);
  assert.ok((result.meta.valid_auc as number) > 0.9, `meta valid_auc ${result.meta.valid_auc}`);
  assert.ok(lines.some((l) => l.startsWith('loaded train rows=800 valid rows=300')), lines.join('\n'));
  assert.ok(heartbeats.length >= 1, 'heartbeats while the trainer ran');
  assert.ok(heartbeats.every((h, i) => i === 0 || h.elapsedMs >= heartbeats[i - 1]!.elapsedMs));
  const spec = JSON.parse(await readFile(path.join(outDir, 'spec.json'), 'utf8'));
  assert.deepEqual(spec, { protocol: 1, label: 'label', features: FEATURES, params: { C: 10 } });

  // Score the validation split through onnxruntime: the protocol's promise is a model Ratchet can serve.
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(`SELECT x1, x2, colour, label FROM '${validPath}' ORDER BY id`);
  const rows = reader.getRowObjectsJS() as { x1: number | null; x2: number; colour: string | null; label: number }[];
  connection.closeSync();
  instance.closeSync();
  const model = await OnnxModel.load(await readFile(result.modelPath), FEATURES);
  try {
    const scores = await model.scoreRows(rows.map(({ x1, x2, colour }) => ({ x1, x2, colour })));
    const value = auc(scores, rows.map((r) => Number(r.label)));
    assert.ok(value > 0.9, `AUC ${value}`);
    assert.ok(Math.abs(value - (result.meta.valid_auc as number)) < 0.01, 'onnxruntime ranks like scikit-learn did');
  } finally {
    await model.close();
  }
});

test('a trainer that exits 1 fails with its exit code and the last 40 lines of its stderr', async () => {
  await assert.rejects(scripted('fail'), (err: unknown) => {
    assert.ok(err instanceof TrainerError);
    assert.equal(err.kind, 'exit');
    assert.equal(err.details.exitCode, 1);
    assert.match(err.message, /exited with code 1/);
    assert.match(err.message, /ValueError: could not convert string to float: "n\/a"/);
    assert.match(err.message, /stderr line 99/);
    assert.doesNotMatch(err.message, /stderr line 60\n/);
    assert.equal(err.details.stderrTail!.length, 40);
    return true;
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A killed process nobody has reaped yet is a zombie: it no longer runs.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return condition();
}

test('a trainer that hangs is killed at the timeout with its whole process group', async () => {
  const pidsFile = path.join(root, 'hang-pids.json');
  const started = Date.now();
  const heartbeats: (string | null)[] = [];
  await assert.rejects(
    scripted('hang', {
      timeoutMs: 700,
      killGraceMs: 300,
      heartbeatIntervalMs: 200,
      onHeartbeat: (h) => heartbeats.push(h.lastLine),
      env: { SCRIPTED_TRAINER_MODE: 'hang', SCRIPTED_TRAINER_PIDS: pidsFile },
    }),
    (err: unknown) => err instanceof TrainerError && err.kind === 'timeout' && /ran longer than 700 ms and was killed/.test(err.message) && /ignoring SIGTERM/.test(err.message),
  );
  assert.ok(Date.now() - started < 5000);
  assert.ok(heartbeats.includes('still training'), 'heartbeats carry the last line printed');
  const pids = JSON.parse(await readFile(pidsFile, 'utf8')) as number[];
  assert.equal(pids.length, 2);
  assert.ok(await waitUntil(() => pids.every((pid) => !isRunning(pid)), 2000), `still running: ${pids.filter(isRunning).join(', ')}`);
});

test('aborting the signal kills the trainer group', async () => {
  const pidsFile = path.join(root, 'abort-pids.json');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 400);
  await assert.rejects(
    scripted('hang', { signal: controller.signal, killGraceMs: 200, env: { SCRIPTED_TRAINER_MODE: 'hang', SCRIPTED_TRAINER_PIDS: pidsFile } }),
    (err: unknown) => err instanceof TrainerError && err.kind === 'aborted',
  );
  const pids = JSON.parse(await readFile(pidsFile, 'utf8')) as number[];
  assert.ok(await waitUntil(() => pids.every((pid) => !isRunning(pid)), 2000));
});

test('a garbage model.onnx is an invalid_output error naming the file', async () => {
  await assert.rejects(scripted('garbage'), (err: unknown) => {
    assert.ok(err instanceof TrainerError);
    assert.equal(err.kind, 'invalid_output');
    assert.ok(err.message.startsWith(`${path.join(root, 'out-garbage', 'model.onnx')} is not a usable model: could not load the ONNX model`), err.message);
    return true;
  });
});

test('missing outputs and a broken meta.json are invalid_output errors; stale files do not count', async () => {
  const outDir = path.join(root, 'out-no-output');
  await mkdir(outDir, { recursive: true });
  await copyFile(validModel, path.join(outDir, 'model.onnx')); // left over from an earlier attempt
  await assert.rejects(scripted('no-output'), (err: unknown) => err instanceof TrainerError && err.kind === 'invalid_output' && /exited 0 but wrote no model\.onnx/.test(err.message));
  await assert.rejects(
    scripted('bad-meta'),
    (err: unknown) => err instanceof TrainerError && err.kind === 'invalid_output' && err.message.startsWith(`${path.join(root, 'out-bad-meta', 'meta.json')} is not valid JSON`),
  );
});

test('the trainer gets absolute paths, the spec and its params; extra meta fields are kept', async () => {
  const result = (await scripted('echo', { params: { depth: 3 } })) as Awaited<ReturnType<typeof trainExternal>>;
  const argv = result.meta.argv as string[];
  const outDir = path.join(root, 'out-echo');
  assert.deepEqual(argv, ['--train', trainPath, '--valid', validPath, '--out', outDir, '--spec', path.join(outDir, 'spec.json')]);
  assert.deepEqual(result.meta.params, { seen: { depth: 3 } });
  assert.equal(result.meta.extra, 42);
  assert.deepEqual(result.meta.features, validModelFeatures);
  assert.equal(result.bytes, (await readFile(validModel)).length);
});

test('a command that cannot start and bad arguments are refused clearly', async () => {
  await assert.rejects(scripted('x', { command: ['/nonexistent/trainer'] }), (err: unknown) => err instanceof TrainerError && err.kind === 'spawn' && /ENOENT/.test(err.message));
  await assert.rejects(scripted('x', { command: [] }), (err: unknown) => err instanceof TrainerError && err.kind === 'invalid_input');
  await assert.rejects(scripted('x', { timeoutMs: 0 }), /timeoutMs must be a positive number/);
  // Node would report a missing working directory as the command's ENOENT.
  await assert.rejects(scripted('x', { command: ['true'], cwd: path.join(root, 'no-such-dir') }), (err: unknown) => {
    return err instanceof TrainerError && err.kind === 'invalid_input' && err.message.includes(`working directory ${path.join(root, 'no-such-dir')} (trainer.cwd) is not a directory`);
  });
});
