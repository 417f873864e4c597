/**
 * Which trainer failures the training activity retries: those a retry could cure (a non-zero
 * exit may be an out-of-memory kill; a command that failed to start for want of resources), not
 * those it would only repeat (bad input, a missing command, the time limit, an unusable model).
 * The end-to-end behaviour is in test/fault/trainer-faults.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nonRetryableType } from '../../activities/training';
import { TrainerError } from '../../trainers/errors';

test('trainer failures a retry would repeat are non-retryable, named by type', () => {
  const type = (kind: ConstructorParameters<typeof TrainerError>[0], details = {}) => nonRetryableType(new TrainerError(kind, 'x', details));
  assert.equal(type('invalid_input'), 'InvalidTrainerInput');
  assert.equal(type('invalid_output'), 'InvalidTrainerOutput');
  assert.equal(type('timeout'), 'TrainerTimeout');
  assert.equal(type('spawn', { spawnCode: 'ENOENT' }), 'TrainerNotStartable');
  assert.equal(type('spawn', { spawnCode: 'EACCES' }), 'TrainerNotStartable');
  assert.equal(type('spawn', { spawnCode: 'EAGAIN' }), null, 'out of processes for a moment: retried');
  assert.equal(type('exit'), null);
  assert.equal(type('aborted'), null);
});
