/**
 * Child processes for fault tests: started with `node --import tsx`, awaited until they print a
 * ready line, killed by their own pid (never by name), and reaped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ChildHandle {
  child: ChildProcess;
  pid: number;
  /** The first match of the ready pattern. */
  ready: RegExpExecArray;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote so far (stdout and stderr, interleaved), last 64 KB. */
  output(): string;
  /** Sends the signal and waits for the exit. */
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  /** Script path relative to the repository, run with `node --import tsx`. */
  script: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  readyPattern: RegExp;
  readyTimeoutMs?: number;
  /** Flags for node itself, e.g. --expose-gc. */
  nodeArgs?: string[];
  /** Open an IPC channel (child.send / process.on('message')). */
  ipc?: boolean;
}

export async function spawnTsx(options: SpawnOptions): Promise<ChildHandle> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', options.script, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const keep = (chunk: Buffer) => {
    text += chunk.toString();
    if (text.length > 65_536) text = text.slice(-65_536);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.script} printed no ${options.readyPattern} within ${timeoutMs} ms:\n${text.slice(-3000)}`));
    }, timeoutMs);
    const check = () => {
      const match = options.readyPattern.exec(text);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.stderr!.off('data', check);
        resolve(match);
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${options.script} exited (${code ?? signal}) before it was ready:\n${text.slice(-3000)}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    ready,
    exited,
    output: () => text,
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32): kill points are reproducible from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Bundles the workflows once and writes the code to `file`, for workers started with RATCHET_FAULT_BUNDLE. */
export async function writeWorkflowBundle(file: string): Promise<string> {
  const { workflowBundle } = await import('../../workers/pipeline/worker');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(file, (await workflowBundle()).code);
  return file;
}
