/**
 * Finding runs: a visibility query over Ratchet's search attributes, the same one the Temporal UI
 * takes (`RatchetRunKind="retrain" AND RatchetModel="credit" AND RatchetStage="awaiting_approval"`).
 * Needs a server with the attributes registered (the dev server registers them at start,
 * deploy/temporal-setup.sh in production).
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { RATCHET_CANDIDATE_VERSION, RATCHET_MODEL, RATCHET_RUN_KIND, RATCHET_STAGE, RATCHET_VERDICT } from '../workflows/search-attributes';
import { queryLiteral } from '../core/visibility';
import { CliError } from './errors';

export interface RunFilter {
  model?: string;
  stage?: string;
  /** RatchetRunKind: retrain (default), schedule, monitor, rollback. */
  kind?: string;
  limit?: number;
}

export interface RunRow {
  workflowId: string;
  model: string | null;
  kind: string | null;
  stage: string | null;
  verdict: string | null;
  candidateVersion: number | null;
  status: string;
  startTime: string;
  closeTime: string | null;
}

export function runQuery(filter: RunFilter): string {
  const parts = [`${RATCHET_RUN_KIND.name}=${queryLiteral(filter.kind ?? 'retrain')}`];
  if (filter.model) parts.push(`${RATCHET_MODEL.name}=${queryLiteral(filter.model)}`);
  if (filter.stage) parts.push(`${RATCHET_STAGE.name}=${queryLiteral(filter.stage)}`);
  return parts.join(' AND ');
}

/** Newest first, at most `limit` (default 50). */
export async function listRuns(client: Client, filter: RunFilter): Promise<RunRow[]> {
  const query = runQuery(filter);
  const limit = filter.limit ?? 50;
  const rows: RunRow[] = [];
  try {
    for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
      rows.push(toRow(wf));
      if (rows.length >= limit) break;
    }
  } catch (err) {
    const message = (err as Error).message;
    if (/not defined|unknown|invalid query|search attribute/i.test(message)) {
      throw new CliError(
        `the server cannot search Ratchet's runs (${message.split('\n')[0]}): register the search attributes ` +
          `(the dev server does at start; in production run deploy/temporal-setup.sh)`,
      );
    }
    throw err;
  }
  return rows;
}

function toRow(wf: WorkflowExecutionInfo): RunRow {
  const attrs = wf.typedSearchAttributes;
  return {
    workflowId: wf.workflowId,
    model: attrs.get(RATCHET_MODEL) ?? null,
    kind: attrs.get(RATCHET_RUN_KIND) ?? null,
    stage: attrs.get(RATCHET_STAGE) ?? null,
    verdict: attrs.get(RATCHET_VERDICT) ?? null,
    candidateVersion: attrs.get(RATCHET_CANDIDATE_VERSION) ?? null,
    status: wf.status.name,
    startTime: wf.startTime.toISOString(),
    closeTime: wf.closeTime?.toISOString() ?? null,
  };
}
