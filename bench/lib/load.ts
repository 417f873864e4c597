/**
 * A keep-alive HTTP load generator on node:http: closed loop (N requests in flight, each sent as
 * soon as the previous one on its lane returned) or open loop (a fixed request rate: requests go
 * out on schedule whatever the responses do, so a server stall cannot slow the sending and hide
 * itself). Open-loop latency runs from the actual send: JavaScript timers fire with about 1 ms
 * granularity, and counting from the ideal due time would add that jitter of the client's own.
 *
 * Bodies are serialised once up front: the generator shares the machine with the server under
 * test and should spend as little CPU per request as it can.
 */
import http from 'node:http';
import { Samples, summarize, type LatencySummary } from './stats';

export interface Target {
  url: string; // http://127.0.0.1:port
  path: string;
  bodies: Buffer[];
}

export interface LoadResult extends LatencySummary {
  /** Every measured latency (ms), for merging runs. */
  latencies: Float64Array;
  seconds: number;
  ok: number;
  /** 200 responses including the warm-up: what the server acknowledged (and logged). */
  acknowledged: number;
  errors: number;
  throughput: number; // successful requests per second
}

interface Sender {
  send(body: Buffer): Promise<number>; // resolves with the status code
  close(): void;
}

function sender(target: Target, sockets: number): Sender {
  const { hostname, port } = new URL(target.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  return {
    send: (body) =>
      new Promise((resolve, reject) => {
        const request = http.request(
          { host: hostname, port: Number(port), path: target.path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
          (response) => {
            response.on('data', () => undefined);
            response.on('end', () => resolve(response.statusCode ?? 0));
            response.on('error', reject);
          },
        );
        request.on('error', reject);
        request.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** `concurrency` lanes, each sending back to back for `seconds` (after `warmupSeconds` unmeasured). */
export async function closedLoop(target: Target, concurrency: number, seconds: number, warmupSeconds = 0.5): Promise<LoadResult> {
  const client = sender(target, concurrency);
  const latencies = new Samples();
  let errors = 0;
  let acknowledged = 0;
  let next = 0;
  const warmEnd = performance.now() + warmupSeconds * 1000;
  const end = warmEnd + seconds * 1000;
  const lane = async () => {
    for (;;) {
      const started = performance.now();
      if (started >= end) return;
      let status = 0;
      try {
        status = await client.send(target.bodies[next++ % target.bodies.length]);
      } catch {
        status = 0;
      }
      if (status === 200) acknowledged++;
      if (started < warmEnd) continue;
      if (status === 200) latencies.push(performance.now() - started);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  client.close();
  return result(latencies, errors, acknowledged, seconds);
}

/** `rate` requests per second for `seconds`, whatever the responses do (up to `maxInFlight`). */
export async function openLoop(target: Target, rate: number, seconds: number, warmupSeconds = 0.5, maxInFlight = 512): Promise<LoadResult> {
  const client = sender(target, maxInFlight);
  const latencies = new Samples();
  let errors = 0;
  let acknowledged = 0;
  let sent = 0;
  const started = performance.now();
  const warmEnd = started + warmupSeconds * 1000;
  const total = Math.round(rate * (warmupSeconds + seconds));
  const inFlight = new Set<Promise<void>>();
  await new Promise<void>((resolve) => {
    const pump = () => {
      const now = performance.now();
      // Everything due by now goes out now.
      while (sent < total && started + (sent * 1000) / rate <= now) {
        const due = started + (sent * 1000) / rate;
        const body = target.bodies[sent++ % target.bodies.length];
        const sentAt = performance.now();
        const done: Promise<void> = client.send(body).then(
          (status) => {
            if (status === 200) acknowledged++;
            if (due < warmEnd) return;
            if (status === 200) latencies.push(performance.now() - sentAt);
            else errors++;
          },
          () => {
            if (due >= warmEnd) errors++;
          },
        );
        inFlight.add(done);
        void done.finally(() => inFlight.delete(done));
      }
      if (sent < total) setTimeout(pump, 1);
      else resolve();
    };
    pump();
  });
  await Promise.all(inFlight);
  client.close();
  return result(latencies, errors, acknowledged, seconds);
}

function result(latencies: Samples, errors: number, acknowledged: number, seconds: number): LoadResult {
  const values = latencies.values().slice();
  const summary = summarize(values);
  return { ...summary, latencies: values, seconds, ok: summary.count, acknowledged, errors, throughput: summary.count / seconds };
}

/** Several runs of one configuration as one: latencies pooled, counts and time summed. */
export function mergeResults(runs: LoadResult[]): LoadResult {
  const latencies = new Float64Array(runs.reduce((n, r) => n + r.latencies.length, 0));
  let offset = 0;
  for (const r of runs) {
    latencies.set(r.latencies, offset);
    offset += r.latencies.length;
  }
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  // Successful responses, not latencies: wrk's latencies include error responses (bench/lib/wrk.ts).
  const ok = runs.reduce((n, r) => n + r.ok, 0);
  return {
    ...summarize(latencies),
    latencies,
    seconds,
    ok,
    acknowledged: runs.reduce((n, r) => n + r.acknowledged, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    throughput: ok / seconds,
  };
}
