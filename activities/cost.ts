/**
 * What each stage of a run costs: wall and CPU time and the worker's peak memory, appended to
 * the run's cost.jsonl (the report and `ratchet status` read it). CPU and memory are the worker
 * process's, so concurrent activities in one worker share them; wall time is the stage's own.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { runDir, type RatchetPaths } from '../core/paths';

export interface StageCost {
  stage: string;
  wallMs: number;
  cpuMs: number;
  peakRssBytes: number;
  at: string;
}

export async function withCost<T>(paths: RatchetPaths, runId: string, stage: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(cpu);
  const cost: StageCost = {
    stage,
    wallMs: Math.round(performance.now() - started),
    cpuMs: Math.round((used.user + used.system) / 1000),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    at: new Date().toISOString(),
  };
  const dir = runDir(paths, runId);
  await mkdir(dir, { recursive: true });
  await appendFile(path.join(dir, 'cost.jsonl'), `${JSON.stringify(cost)}\n`);
  return result;
}

/** The latest cost per stage (a retried activity appends again; the last attempt counts). */
export async function readCosts(dir: string): Promise<StageCost[]> {
  let text: string;
  try {
    text = await readFile(path.join(dir, 'cost.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const byStage = new Map<string, StageCost>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const cost = JSON.parse(line) as StageCost;
      byStage.set(cost.stage, cost);
    } catch {
      // A line torn by a crash mid-append: skip it.
    }
  }
  return [...byStage.values()];
}
