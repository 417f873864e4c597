import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter, Tail } from '../../trainers/line-splitter';

function split(chunks: string[], maxLineLength?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxLineLength);
  chunks.forEach((c) => splitter.push(c));
  splitter.end();
  return lines;
}

test('lines are reassembled across chunks; CRLF and a missing final newline are handled', () => {
  assert.deepEqual(split(['fir', 'st\nsec', 'ond\r', '\nthird']), ['first', 'second', 'third']);
  assert.deepEqual(split(['a\n\nb\n']), ['a', '', 'b']);
});

test('a progress bar redrawn with carriage returns yields what the terminal shows', () => {
  assert.deepEqual(split(['epoch 1: 10%\repoch 1: 50%', '\repoch 1: 100%\n']), ['epoch 1: 100%']);
});

test('an endless line is cut into bounded pieces', () => {
  assert.deepEqual(split(['x'.repeat(25)], 10), ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
});

test('Tail keeps only the newest items', () => {
  const tail = new Tail<number>(3);
  [1, 2, 3, 4, 5].forEach((n) => tail.push(n));
  assert.deepEqual(tail.toArray(), [3, 4, 5]);
});
