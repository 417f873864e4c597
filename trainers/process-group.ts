/**
 * Runs a command in a process group of its own and always ends that group: on timeout, on abort,
 * and after the command exits (a trainer's background helpers must not outlive it). Streams its
 * output line by line and calls a heartbeat at a fixed interval while it runs.
 */
import { spawn } from 'node:child_process';
import { LineSplitter, Tail } from './line-splitter';

export interface RunOptions {
  command: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
  heartbeatIntervalMs: number;
  onHeartbeat?: (info: { elapsedMs: number; lastLine: string | null }) => void;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Time between SIGTERM and SIGKILL when the group has to be stopped. */
  killGraceMs: number;
  stderrTailLines: number;
}

export type RunOutcome =
  | { kind: 'exited'; exitCode: number | null; signal: NodeJS.Signals | null; stderrTail: string[]; elapsedMs: number }
  | { kind: 'timeout' | 'aborted'; exitCode: number | null; signal: NodeJS.Signals | null; stderrTail: string[]; elapsedMs: number }
  | { kind: 'spawn_failed'; error: Error; stderrTail: string[]; elapsedMs: number };

/** How long to wait for the output pipes to close after the group is gone, in case a process escaped it. */
const PIPE_DRAIN_MS = 2000;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // negative pid: the whole process group
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // ESRCH: already gone
  }
}

export function runInProcessGroup(options: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const [file, ...args] = options.command;
  return new Promise<RunOutcome>((resolve) => {
    const stderrTail = new Tail<string>(options.stderrTailLines);
    let lastLine: string | null = null;
    let stopReason: 'timeout' | 'aborted' | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const heartbeat = setInterval(() => options.onHeartbeat?.({ elapsedMs: elapsed(), lastLine }), options.heartbeatIntervalMs);

    // detached: the child leads a new process group, so one kill reaches its children too.
    const child = spawn(file!, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });

    const finish = (outcome: RunOutcome) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      clearInterval(heartbeat);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };

    const stop = (reason: 'timeout' | 'aborted') => {
      if (stopReason !== null || exit !== null || child.pid === undefined) return;
      stopReason = reason;
      signalGroup(child.pid, 'SIGTERM');
      const forceKill = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), options.killGraceMs);
      forceKill.unref();
      timers.push(forceKill);
    };
    const onAbort = () => stop('aborted');

    const splitters = (['stdout', 'stderr'] as const).map((stream) => {
      const splitter = new LineSplitter((line) => {
        lastLine = line;
        if (stream === 'stderr') stderrTail.push(line);
        options.onLine?.(line, stream);
      });
      const source = child[stream]!;
      source.setEncoding('utf8');
      source.on('data', (chunk: string) => splitter.push(chunk));
      return splitter;
    });

    timers.push(setTimeout(() => stop('timeout'), options.timeoutMs));
    if (options.signal?.aborted) stop('aborted');
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (error) => {
      // Spawn failures (ENOENT, EACCES) arrive here with no exit event.
      if (child.pid === undefined) finish({ kind: 'spawn_failed', error, stderrTail: stderrTail.toArray(), elapsedMs: elapsed() });
    });

    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Whatever the trainer left running in its group goes with it; that also closes the pipes.
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      const drain = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        complete();
      }, PIPE_DRAIN_MS);
      drain.unref();
      timers.push(drain);
    });

    const complete = () => {
      if (exit === null) return;
      splitters.forEach((s) => s.end());
      const base = { exitCode: exit.code, signal: exit.signal, stderrTail: stderrTail.toArray(), elapsedMs: elapsed() };
      finish(stopReason === null ? { kind: 'exited', ...base } : { kind: stopReason, ...base });
    };
    child.on('close', complete);
  });
}
