import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../validation/rng';
import { partitionPrepared, prepareScores } from '../../validation/scored';
import { encodeColumn, groupRows, preparedGroups } from '../../validation/slices';

describe('prepared groups cut out of the whole', () => {
  it('equal prepareScores on the rows of each group: ties, a threshold on a tie, unlabelled rows, an empty group', () => {
    const n = 500;
    const rng = new Rng(11);
    const labels = Float64Array.from({ length: n }, (_, i) => (i % 37 === 0 ? NaN : rng.nextFloat() < 0.3 ? 1 : 0));
    const scores = Float64Array.from({ length: n }, () => Math.round(rng.nextFloat() * 20) / 20); // many ties, 0.5 among them
    const cells = Array.from({ length: n }, (_, i) => (i % 37 === 0 && i % 2 === 0 ? 'only-unlabelled' : i % 11 === 0 ? null : ['a', 'b', 'c'][i % 3]!));
    const column = encodeColumn(cells, 'segment');
    const whole = prepareScores(labels, scores, 0.5);
    const groups = partitionPrepared(whole, column.codes, column.values.length);
    assert.deepEqual(column.values, ['a', 'b', 'c', 'only-unlabelled', '(missing)']);
    groupRows(cells, 'segment').forEach(({ value, rows }, g) => {
      const expected = prepareScores(labels, scores, 0.5, rows);
      const actual = groups[g]!;
      assert.equal(column.values[g], value);
      for (const field of ['rows', 'nanScores', 'cut', 'threshold'] as const) assert.equal(actual[field], expected[field], `${value}: ${field}`);
      for (const field of ['order', 'score', 'loss', 'flags'] as const) assert.deepEqual(Array.from(actual[field]), Array.from(expected[field]), `${value}: ${field}`);
    });
    assert.equal(groups[3]!.rows, 0);
  });

  it('fall back to one preparation per group when the whole has NaN scores, so only those groups lose their metrics', () => {
    const labels = Float64Array.of(1, 0, 1, 0);
    const scores = Float64Array.of(0.9, NaN, 0.4, 0.2);
    const column = encodeColumn(['x', 'x', 'y', 'y'], 'g');
    const [x, y] = preparedGroups(prepareScores(labels, scores, 0.5), column, labels, scores);
    assert.deepEqual([x!.value, y!.value], ['x', 'y']);
    assert.equal(x!.prepared.nanScores, 1);
    assert.equal(y!.prepared.nanScores, 0);
    assert.equal(y!.prepared.rows, 2);
  });
});
