/**
 * Where Ratchet keeps its state on one machine. Everything lives under one project-local folder
 * (default `./.ratchet`, or RATCHET_HOME) so a demo never writes outside the project.
 */
import path from 'node:path';

export interface RatchetPaths {
  home: string;
  registry: string; // filesystem registry store root
  snapshots: string; // immutable data snapshots (Parquet + manifest)
  splits: string; // train/valid/holdout parts per snapshot
  runs: string; // per-run work: candidate artifact, evaluation, report
  temporal: string; // dev server SQLite file
  logs: string;
}

export function ratchetPaths(home: string = process.env.RATCHET_HOME ?? path.resolve('.ratchet')): RatchetPaths {
  const root = path.resolve(home);
  return {
    home: root,
    registry: path.join(root, 'registry'),
    snapshots: path.join(root, 'snapshots'),
    splits: path.join(root, 'splits'),
    runs: path.join(root, 'runs'),
    temporal: path.join(root, 'temporal'),
    logs: path.join(root, 'logs'),
  };
}

/** A run id is a workflow id: it becomes a folder name, so keep it to a safe alphabet. */
export function runDir(paths: RatchetPaths, runId: string): string {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(runId) || runId.includes('..')) {
    throw new Error(`run id "${runId}" is not a safe folder name (letters, digits, ".", "_", "-")`);
  }
  return path.join(paths.runs, runId);
}
