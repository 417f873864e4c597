/**
 * Recorded workflow histories for replay tests. Integration tests call recordHistory after a run;
 * with RATCHET_RECORD_HISTORIES=1 the history is exported by the Temporal CLI (the same JSON the
 * UI downloads) to test/fixtures/histories/, where the replay test runs it against the current
 * workflow code: a non-deterministic change fails there.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { ensureTool, TEMPORAL_CLI } from '../../workers/temporal-tools';

export const HISTORIES_DIR = path.resolve(import.meta.dirname, '..', 'fixtures', 'histories');

/** `runId` records one run of the workflow (e.g. one that continued as new) instead of the latest. */
export async function recordHistory(handle: WorkflowHandle, name: string, address: string, runId?: string): Promise<void> {
  if (process.env.RATCHET_RECORD_HISTORIES !== '1' || process.env.RATCHET_TEST_STORE === 'postgres') return;
  const run = runId ? ['--run-id', runId] : [];
  const json = execFileSync(ensureTool(TEMPORAL_CLI), ['workflow', 'show', '--workflow-id', handle.workflowId, ...run, '--address', address, '--output', 'json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), json);
}
