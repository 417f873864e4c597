/**
 * The external-trainer protocol (documented for trainer authors in trainers/README.md): Ratchet
 * runs
 *
 *   <command...> --train TRAIN.parquet --valid VALID.parquet --out DIR --spec DIR/spec.json
 *
 * and expects DIR/model.onnx and DIR/meta.json when the command exits 0. The command runs in a
 * process group of its own, which is killed on timeout or abort. After exit 0 the model must load
 * with OnnxModel against the declared features and meta.json must parse; otherwise the run fails
 * with a TrainerError of kind "invalid_output" (retrying would reproduce it).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { FeatureSpec } from '../core/types';
import { ModelLoadError, OnnxModel } from '../scoring/onnx-model';
import { writeFileAtomic } from './atomic-file';
import { TrainerError } from './errors';
import { runInProcessGroup, type RunOutcome } from './process-group';
import type { TrainerMeta, TrainResult } from './types';

export { TrainerError };

export const TRAINER_SPEC_PROTOCOL = 1;
const STDERR_TAIL_LINES = 40;

export interface ExternalTrainInput {
  command: string[];
  cwd?: string;
  trainPath: string;
  validPath: string;
  outDir: string;
  features: FeatureSpec[];
  label: string;
  timeoutMs: number;
  /** Passed to the trainer in spec.json, for its own hyperparameters. */
  params?: Record<string, unknown>;
  /** Called every heartbeatIntervalMs while the trainer runs (Temporal heartbeats ride on it). */
  onHeartbeat?: (info: { elapsedMs: number; lastLine: string | null }) => void;
  heartbeatIntervalMs?: number;
  /** Every line the trainer prints, as it prints it. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Between SIGTERM and SIGKILL when the trainer has to be stopped; default 3 s. */
  killGraceMs?: number;
}

/** What spec.json holds. */
export interface TrainerSpec {
  protocol: number;
  label: string;
  features: FeatureSpec[];
  params: Record<string, unknown>;
}

const metaSchema = z.looseObject({
  trainer: z.string().min(1),
  params: z.record(z.string(), z.unknown()).optional(),
  train_rows: z.number().int().nonnegative().optional(),
  valid_rows: z.number().int().nonnegative().optional(),
  valid_auc: z.number().nullable().optional(),
  valid_log_loss: z.number().nullable().optional(),
});

function describeCommand(command: string[]): string {
  return command.map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replaceAll("'", `'\\''`)}'`)).join(' ');
}

function stderrSection(tail: string[]): string {
  return tail.length === 0 ? ' It wrote nothing to stderr.' : `\nLast ${tail.length} line(s) of stderr:\n${tail.join('\n')}`;
}

function failureFor(outcome: RunOutcome, commandText: string, timeoutMs: number): TrainerError {
  const details = { stderrTail: outcome.stderrTail, ...('exitCode' in outcome ? { exitCode: outcome.exitCode, signal: outcome.signal } : {}) };
  switch (outcome.kind) {
    case 'spawn_failed':
      return new TrainerError('spawn', `could not start the trainer \`${commandText}\`: ${outcome.error.message}. Check the command and its PATH.`, {
        ...details,
        spawnCode: (outcome.error as NodeJS.ErrnoException).code,
      });
    case 'timeout':
      return new TrainerError('timeout', `the trainer \`${commandText}\` ran longer than ${timeoutMs} ms and was killed with its process group.${stderrSection(outcome.stderrTail)}`, details);
    case 'aborted':
      return new TrainerError('aborted', `the trainer \`${commandText}\` was cancelled and killed with its process group.${stderrSection(outcome.stderrTail)}`, details);
    case 'exited': {
      const how = outcome.exitCode !== null ? `exited with code ${outcome.exitCode}` : `was killed by signal ${outcome.signal}`;
      return new TrainerError('exit', `the trainer \`${commandText}\` ${how}.${stderrSection(outcome.stderrTail)}`, details);
    }
  }
}

async function readOutput(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TrainerError('invalid_output', `the trainer exited 0 but wrote no ${what}: expected ${file}`);
    }
    throw err;
  }
}

async function checkModel(modelPath: string, features: FeatureSpec[]): Promise<Buffer> {
  const bytes = await readOutput(modelPath, 'model.onnx');
  try {
    const model = await OnnxModel.load(bytes, features);
    await model.close();
  } catch (err) {
    if (err instanceof ModelLoadError) throw new TrainerError('invalid_output', `${modelPath} is not a usable model: ${err.message}`);
    throw err;
  }
  return bytes;
}

async function readMeta(metaPath: string, features: FeatureSpec[]): Promise<TrainerMeta> {
  const text = (await readOutput(metaPath, 'meta.json')).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TrainerError('invalid_output', `${metaPath} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = metaSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    throw new TrainerError('invalid_output', `${metaPath} does not follow the trainer protocol (${problems}); it needs at least {"trainer": "<name>"}`);
  }
  // The model was checked against the declared features, so those are the ones on record.
  return { ...parsed.data, params: parsed.data.params ?? {}, features } as TrainerMeta;
}

function checkInput(input: ExternalTrainInput): void {
  const bad = (message: string) => new TrainerError('invalid_input', `external trainer: ${message}`);
  if (!Array.isArray(input.command) || input.command.length === 0 || input.command.some((p) => typeof p !== 'string' || p === '')) {
    throw bad('command must be a non-empty list of non-empty strings, e.g. ["python3", "train.py"]');
  }
  if (!(input.timeoutMs > 0)) throw bad(`timeoutMs must be a positive number of milliseconds (got ${input.timeoutMs})`);
  if (input.features.length === 0) throw bad('no features declared');
}

export async function trainExternal(input: ExternalTrainInput): Promise<TrainResult> {
  checkInput(input);
  // Node reports a missing working directory as the command's ENOENT: say which it is.
  if (input.cwd !== undefined && !(await stat(input.cwd).then((s) => s.isDirectory(), () => false))) {
    throw new TrainerError('invalid_input', `external trainer: its working directory ${input.cwd} (trainer.cwd) is not a directory: fix trainer.cwd in the model's config`);
  }
  if (input.signal?.aborted) throw new TrainerError('aborted', `the trainer \`${describeCommand(input.command)}\` was cancelled before it started`);
  const outDir = path.resolve(input.outDir);
  const modelPath = path.join(outDir, 'model.onnx');
  const metaPath = path.join(outDir, 'meta.json');
  const specPath = path.join(outDir, 'spec.json');
  await mkdir(outDir, { recursive: true });
  // A retried run must not mistake the previous attempt's files for this one's output.
  await Promise.all([rm(modelPath, { force: true }), rm(metaPath, { force: true })]);
  const spec: TrainerSpec = { protocol: TRAINER_SPEC_PROTOCOL, label: input.label, features: input.features, params: input.params ?? {} };
  await writeFileAtomic(specPath, `${JSON.stringify(spec, null, 2)}\n`);

  const command = [
    ...input.command,
    '--train',
    path.resolve(input.trainPath),
    '--valid',
    path.resolve(input.validPath),
    '--out',
    outDir,
    '--spec',
    specPath,
  ];
  const outcome = await runInProcessGroup({
    command,
    cwd: input.cwd,
    // Unbuffered Python output, so lines (and heartbeats' lastLine) arrive as they are printed.
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...input.env },
    timeoutMs: input.timeoutMs,
    signal: input.signal,
    heartbeatIntervalMs: input.heartbeatIntervalMs ?? 2000,
    onHeartbeat: input.onHeartbeat,
    onLine: input.onLine,
    killGraceMs: input.killGraceMs ?? 3000,
    stderrTailLines: STDERR_TAIL_LINES,
  });
  if (outcome.kind !== 'exited' || outcome.exitCode !== 0) {
    throw failureFor(outcome, describeCommand(input.command), input.timeoutMs);
  }

  const bytes = await checkModel(modelPath, input.features);
  const meta = await readMeta(metaPath, input.features);
  return { modelPath, metaPath, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, meta };
}
