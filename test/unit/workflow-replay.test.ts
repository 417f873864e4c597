/**
 * Determinism: every recorded history in test/fixtures/histories replays against the current
 * workflow code without a non-determinism error. Re-record with
 * `RATCHET_RECORD_HISTORIES=1 npm test -- integration` after an intentional, patched() change.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { quietTemporalRuntime } from '../../cli/stack';
import { workflowBundle } from '../../workers/pipeline/worker';
import { HISTORIES_DIR } from '../helpers/histories';

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();

test('recorded histories exist for every workflow type', () => {
  const types = new Set(
    files.map((f) => {
      const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8')));
      return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
    }),
  );
  for (const type of ['retrain', 'promotion', 'rollback', 'monitor', 'scheduledRetrain']) assert.ok(types.has(type), `no recorded history of ${type}`);
});

for (const file of files) {
  test(`replays ${file}`, async () => {
    quietTemporalRuntime();
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file.replace(/\.json$/, ''));
  });
}
