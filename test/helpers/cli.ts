/**
 * Helpers for the CLI tests: run `node cli/bin.mjs …` as a child process (the real entry point,
 * exit codes and streams included), and a small workspace with demo data and real ONNX models
 * trained on it by the built-in trainer.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FeatureSpec } from '../../core/types';
import { readTable } from '../../data/read';
import { generateDemoData } from '../../examples/demo-data/generate';
import { promoteToChampion } from '../../registry/lifecycle';
import { FsRegistryStore } from '../../registry/fs-store';
import type { ModelVersion } from '../../core/types';
import { fitLogistic } from '../../trainers/logistic';
import { logisticToOnnx } from '../../trainers/onnx-export';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'cli', 'bin.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with a clean environment for the knobs that change its output; `env` adds to it. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  for (const key of ['TEMPORAL_ADDRESS', 'RATCHET_REGISTRY', 'FORCE_COLOR']) if (!(options.env && key in options.env)) delete env[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const DEMO_FEATURES: FeatureSpec[] = [
  { name: 'income', type: 'numeric' },
  { name: 'debt_to_income', type: 'numeric' },
  { name: 'credit_utilization', type: 'numeric' },
  { name: 'age', type: 'numeric' },
  { name: 'num_late_payments', type: 'numeric' },
  { name: 'home_ownership', type: 'categorical' },
  { name: 'loan_purpose', type: 'categorical' },
];

export interface CliWorkspace {
  dir: string;
  /** Demo data: one Parquet file per week. */
  dataDir: string;
  dataGlob: string;
  /** The last week, as one file: evaluation and scoring input. */
  lastWeek: string;
  /** Models trained on the first weeks; `weak` uses two features only, so the two differ. */
  modelPath: string;
  weakModelPath: string;
  home: string;
  cleanup(): Promise<void>;
}

/** Small demo data (6,000 rows over 4 weeks) and two real models, in a temp folder. */
export async function cliWorkspace(): Promise<CliWorkspace> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ratchet-cli-'));
  const dataDir = path.join(dir, 'data');
  const result = await generateDemoData({ outDir: dataDir, seed: 11, rows: 6000, weeks: 4, start: '2026-01-05', driftWeek: 3 });
  const lastWeek = result.files[result.files.length - 1]!;
  const modelPath = path.join(dir, 'model.onnx');
  const weakModelPath = path.join(dir, 'weak.onnx');
  await writeFile(modelPath, await trainOnDemo(result.files[0]!, DEMO_FEATURES));
  await writeFile(weakModelPath, await trainOnDemo(result.files[0]!, DEMO_FEATURES.slice(0, 2)));
  const home = path.join(dir, 'home');
  await mkdir(home, { recursive: true });
  return { dir, dataDir, dataGlob: path.join(dataDir, '*.parquet'), lastWeek, modelPath, weakModelPath, home, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function trainOnDemo(file: string, features: FeatureSpec[]): Promise<Uint8Array> {
  const { table, labels } = await readTable(file, { features, label: 'defaulted' });
  const model = fitLogistic(table, labels!, features, { l2: 1 });
  return logisticToOnnx(model, { modelName: 'cli-test', producerVersion: '0' });
}

/** Registers `artifact` as a new version of `model` under `home`/registry; `champion` routes to it. */
export async function registerModel(home: string, model: string, artifact: Uint8Array, features: FeatureSpec[], options: { champion?: boolean; runId?: string } = {}): Promise<ModelVersion> {
  const store = new FsRegistryStore(path.join(home, 'registry'));
  const ctx = { actor: 'test', reason: 'cli test', workflowId: 'cli-test' };
  const version = await store.registerVersion(
    { model, runId: options.runId ?? `run-${Date.now()}-${Math.random()}`, status: 'approved', trainer: { kind: 'builtin-logistic', params: {} }, features, threshold: 0.3, snapshot: null, metrics: {}, gates: [], reportPath: null, tags: {} },
    artifact,
    ctx,
  );
  if (options.champion) await promoteToChampion(store, model, version.version, ctx);
  return version;
}

// eslint-disable-next-line no-control-regex
export const ANSI = /\x1b\[/;
