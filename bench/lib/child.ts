/** Benchmark servers run in child processes: started, found by the URL they print, stopped by SIGTERM. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildServer {
  url: string;
  pid: number;
  stop(): Promise<number | null>;
}

/** Spawns `node --import tsx <script> ...args` and waits for a line matching `pattern` (group 1: the URL). */
export async function startChild(script: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; pattern?: RegExp; timeoutMs?: number }): Promise<ChildServer> {
  const pattern = options.pattern ?? /serving worker at (\S+)/;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: options.cwd,
    env: { ...process.env, LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${options.timeoutMs ?? 30_000} ms: ${stderr}`)), options.timeoutMs ?? 30_000);
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const match = pattern.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited ${code} before listening: ${stderr}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
