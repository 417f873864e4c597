/** The wrk load generator's result block (bench/lib/wrk.ts): parsed into the bench's LoadResult. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWrkResult, withoutCorrection, wrkScript } from '../../bench/lib/wrk';

const printed = `Running 2s test @ http://127.0.0.1:1234/v1/models/credit/predict
  1 threads and 4 connections
ratchet-wrk requests=10 duration_us=2000123 connect=0 read=1 write=0 status=2 timeout=0
ratchet-wrk-latency 120 3
ratchet-wrk-latency 150 5
ratchet-wrk-latency 4000 2
`;

test('the histogram becomes latencies in ms; status ≥ 400 and socket errors are errors; time is what wrk ran', () => {
  const r = parseWrkResult(printed, 4);
  assert.deepEqual(Array.from(r.latencies), [0.12, 0.12, 0.12, 0.15, 0.15, 0.15, 0.15, 0.15, 4, 4]);
  assert.equal(r.acknowledged, 8, 'completed minus error statuses');
  assert.equal(r.ok, 8);
  assert.equal(r.errors, 3, 'two error statuses and one read error');
  assert.equal(r.seconds, 2.000123, 'wrk stops at its next tick, not at the second');
  assert.equal(r.throughput, 8 / 2.000123);
  assert.equal(r.p50, 0.15);
  assert.equal(r.p99, 4);
  assert.equal(r.count, 10);
});

test('output without the result block is refused, quoting what wrk printed', () => {
  assert.throws(() => parseWrkResult('unable to connect to 127.0.0.1:1 Connection refused\n', 1), /no result block.*Connection refused/s);
});

test('the script carries every body verbatim and refuses one it cannot quote', () => {
  const script = wrkScript([Buffer.from('{"a":"x\\"y"}'), Buffer.from('{"b":[[1]]}')]);
  assert.match(script, /\[=\[\{"a":"x\\"y"\}\]=\]/);
  assert.match(script, /\[=\[\{"b":\[\[1\]\]\}\]=\]/);
  assert.throws(() => wrkScript([Buffer.from('{"a":"]=]"}')]), /contains "\]=\]"/);
});

/** wrk's stats_correct (src/stats.c), transcribed as the reference the reversal must undo. */
function wrkCorrect(data: number[], expected: number): void {
  const max = data.length - 1;
  for (let n = expected * 2; n <= max; n++) {
    const count = data[n]!;
    let m = n - expected;
    while (count && m > expected) {
      data[m]! += count;
      m -= expected;
    }
  }
}

test("wrk's coordinated-omission correction is taken back out exactly", () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const expected of [1, 3, 40, 97]) {
    const raw = new Array<number>(2000).fill(0);
    for (let i = 0; i < 5000; i++) raw[Math.floor(50 + 1900 * random() ** 3)]!++;
    const corrected = raw.slice();
    wrkCorrect(corrected, expected);
    const printed = new Map(corrected.flatMap((count, us) => (count > 0 ? [[us, count] as [number, number]] : [])));
    assert.ok(corrected.reduce((a, b) => a + b, 0) > 5000, 'the correction added samples');
    const recovered = withoutCorrection(printed, expected);
    assert.deepEqual([...recovered].sort((a, b) => a[0] - b[0]), raw.flatMap((count, us) => (count > 0 ? [[us, count]] : [])), `expected interval ${expected}`);
  }
});

test('a parsed run holds one latency per completed response after the correction is removed', () => {
  // 9 requests over 4 connections in 0.8 ms: wrk's integer arithmetic gives e = 800 / (9 / 4 = 2) =
  // 400 µs (not 800 / 2.25 = 355), so the 1000 µs sample was copied to 600 µs and nowhere else.
  const out = 'ratchet-wrk requests=9 duration_us=800 connect=0 read=0 write=0 status=0 timeout=0\n' +
    'ratchet-wrk-latency 100 8\nratchet-wrk-latency 600 1\nratchet-wrk-latency 1000 1\n';
  const r = parseWrkResult(out, 4);
  assert.deepEqual(Array.from(r.latencies), [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 1]);
});

test('responses past the timeout are errors, not latencies; a histogram that does not add up is refused', () => {
  const head = (requests: number, timeout: number) => `ratchet-wrk requests=${requests} duration_us=1000000 connect=0 read=0 write=0 status=0 timeout=${timeout}\n`;
  const r = parseWrkResult(head(5, 1) + 'ratchet-wrk-latency 100 4\n', 1);
  assert.equal(r.ok, 4);
  assert.equal(r.errors, 1);
  assert.equal(r.latencies.length, 4);
  assert.throws(() => parseWrkResult(head(5, 0) + 'ratchet-wrk-latency 100 4\n', 1), /holds 4 responses .* not 5/);
});
