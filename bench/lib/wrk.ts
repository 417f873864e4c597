/**
 * wrk (github.com/wg/wrk; Debian's package `wrk`) as the closed-loop load generator.
 *
 * Why not the Node generator (load.ts) for saturation points: on a 2-core machine the generator
 * shares the cores with the server under test, and node:http spends ~30 µs of CPU per request,
 * more than the bare Fastify route itself (~22 µs): the "ceiling" it measured was the generator's,
 * not the route's, and every microsecond it burned was taken from the server's side threads (the
 * prediction log's and the shadow scorer's). wrk, in C on one thread, spends ~10 µs per request
 * (measured against the bare route: 9.7 µs at 8 connections, node:http 32.9 µs).
 *
 * A Lua script cycles through the same request bodies as the Node generator and, when the run
 * ends, prints the complete latency histogram (µs, value and count) and the error counts, so runs
 * pool into one LoadResult exactly as the Node generator's do. The latencies are the raw ones:
 * wrk's own coordinated-omission correction is taken back out (see withoutCorrection).
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LoadResult, Target } from './load';
import { summarize } from './stats';

const execFileAsync = promisify(execFile);

/** Whether wrk is on PATH. (`wrk --version` prints its usage and exits 1: only a failed start means absent.) */
export function wrkInstalled(): boolean {
  return !spawnSync('wrk', ['--version']).error;
}

/**
 * The Lua script: requests are formatted once, when wrk's thread starts (wrk.format), so sending
 * one costs a Lua call and a copy; done() prints the result block parseWrkResult reads. (done()
 * lists the histogram with wrk's stats_value_at, a scan per value: fine for the few thousand
 * distinct latencies of a run, slow for runs with a tail of hundreds of milliseconds.)
 */
export function wrkScript(bodies: readonly Buffer[]): string {
  // Lua long strings take JSON text as it is (no escapes; they would only drop a leading newline
  // and turn CR into LF, which JSON.stringify never writes); only "]=]" would end one early.
  const list = bodies.map((b) => {
    const text = b.toString('utf8');
    if (text.includes(']=]')) throw new Error('wrk script: a request body contains "]=]"');
    return `[=[${text}]=]`;
  });
  return `local bodies = {${list.join(',\n')}}
local formatted = {}
local turn = 0
init = function(args)
  for k, body in ipairs(bodies) do
    formatted[k] = wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
  end
end
request = function()
  turn = turn % #formatted + 1
  return formatted[turn]
end
done = function(summary, latency, perThread)
  local e = summary.errors
  io.write(string.format("ratchet-wrk requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(string.format("ratchet-wrk-latency %d %d\\n", value, count))
  end
end
`;
}

/**
 * wrk's result block as a LoadResult: latencies in ms (each histogram value repeated by its
 * count), throughput of successful responses over the time wrk actually ran (it stops at its next
 * 100 ms tick: a "1 s" run lasts 1.00-1.10 s). A response with status 400 or above, one slower
 * than the timeout, and a socket error count as errors; every other completed response was
 * acknowledged. Unlike the Node generator's, the latencies include error responses: wrk's
 * histogram does not tell them apart.
 */
export function parseWrkResult(stdout: string, connections: number): LoadResult {
  const head = /^ratchet-wrk requests=(\d+) duration_us=(\d+) connect=(\d+) read=(\d+) write=(\d+) status=(\d+) timeout=(\d+)$/m.exec(stdout);
  if (!head) throw new Error(`wrk printed no result block (was the script's done() run?):\n${stdout.slice(0, 2000)}`);
  const [requests, durationUs, connect, read, write, status, timeout] = head.slice(1).map(Number);
  const printed = new Map<number, number>();
  for (const m of stdout.matchAll(/^ratchet-wrk-latency (\d+) (\d+)$/gm)) printed.set(Number(m[1]), Number(m[2]));
  // wrk's interval per connection, in its integer arithmetic (src/wrk.c).
  const perConnection = Math.floor(requests / connections);
  const histogram = perConnection > 0 ? withoutCorrection(printed, Math.floor(durationUs / perConnection)) : printed;
  const timed = [...histogram.values()].reduce((a, b) => a + b, 0);
  // wrk times every completed response except those past the timeout: anything else means the reversal did not undo wrk's correction.
  if (timed !== requests - timeout) {
    throw new Error(`wrk's latency histogram holds ${timed} responses after its correction was taken out, not ${requests - timeout}: output truncated, or a wrk whose correction differs from 4.1's`);
  }
  const latencies = new Float64Array(timed);
  let offset = 0;
  for (const [us, count] of [...histogram].sort((a, b) => a[0] - b[0])) {
    latencies.fill(us / 1000, offset, offset + count);
    offset += count;
  }
  const errors = status + connect + read + write + timeout;
  const ok = Math.max(0, requests - status - timeout);
  const seconds = durationUs / 1e6;
  return { ...summarize(latencies), latencies, seconds, ok, acknowledged: ok, errors, throughput: ok / seconds };
}

/**
 * wrk "corrects" closed-loop latencies for coordinated omission before done() sees them
 * (stats_correct, src/stats.c): each recorded latency n ≥ 2e, e being the mean interval per
 * connection, has its count added again at n − e, n − 2e, … while that stays above e. Those
 * synthetic samples model an open loop this benchmark does not run, and the Node generator reports
 * raw latencies, so they come back out. wrk reads each source count before anything is added to
 * it, so for n > e the printed count is n's own plus the own counts of n + e, n + 2e, …, and that
 * tail is exactly the printed count of n + e: own(n) = printed(n) − printed(n + e).
 */
export function withoutCorrection(printed: ReadonlyMap<number, number>, e: number): Map<number, number> {
  if (!(e >= 1)) return new Map(printed);
  const own = new Map<number, number>();
  for (const [n, count] of printed) {
    const mine = n > e ? count - (printed.get(n + e) ?? 0) : count;
    if (mine > 0) own.set(n, mine);
  }
  return own;
}

export interface WrkOptions {
  /** Where the run's Lua script is written (and removed after). */
  scriptDir: string;
}

/**
 * `concurrency` connections on one wrk thread for `seconds` (whole seconds: wrk's unit). wrk has
 * no warm-up of its own: a caller that wants one runs it first.
 */
export async function wrkClosedLoop(target: Target, concurrency: number, seconds: number, options: WrkOptions): Promise<LoadResult> {
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`wrk runs whole seconds: ${seconds} s per run (set --seconds to a multiple of --rounds)`);
  const script = path.join(options.scriptDir, `ratchet-wrk-${randomBytes(6).toString('hex')}.lua`);
  await fs.writeFile(script, wrkScript(target.bodies));
  try {
    const args = ['-t1', `-c${concurrency}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, `${target.url}${target.path}`];
    // The histogram is one line per distinct latency: a few MB at most even with a long tail.
    const { stdout } = await execFileAsync('wrk', args, { maxBuffer: 64 * 1024 * 1024 }).catch((error: { code?: unknown; stderr?: string; stdout?: string }) => {
      throw new Error(`wrk exited ${error.code}: ${error.stderr || error.stdout}`, { cause: error });
    });
    return parseWrkResult(stdout, concurrency);
  } finally {
    await fs.rm(script, { force: true });
  }
}
