/**
 * Serving benchmark (not a test): `npm run bench:serving` (node --import tsx bench/serving.ts).
 *
 * Real serving workers in child processes on 127.0.0.1 serving the demo's 11-feature model,
 * driven by keep-alive HTTP load, against baselines measured in the same run. The closed loops
 * (fixed concurrency) run on wrk when it is installed (Debian's `wrk`; bench/lib/wrk.ts says why:
 * it costs the shared cores ~10 µs per request where node:http costs ~30), otherwise on the Node
 * generator in this process (bench/lib/load.ts), which also drives the fixed-rate point (e):
 *   (a) the serving worker, prediction log on, micro-batching on (the default) and off;
 *   (b) the ceiling: a bare Fastify route in a child that parses the same JSON and answers a constant;
 *   (b2) the minimal model server: the same bare route scoring each request with the same model
 *        (one onnxruntime call per request, nothing validated or logged), which splits the gap
 *        between (a) and (b) into the model call, paid by any server of this model, and Ratchet's
 *        own machinery;
 *   (c) the model alone: OnnxModel.scoreRows on one row, in process;
 *   (d) the serving worker in shadow mode (the candidate scores 100 % of rows off the response path);
 *   (e) p99 at a fixed 2,000 requests per second;
 * plus the prediction log's cost (log on vs off), and the serving worker's CPU per request (its
 * event loop, and the whole process with its threads) with and without shadow scoring: on this
 * machine the load generator shares the two cores with the server, so throughput at saturation
 * charges shadow scoring for every core-microsecond, while the event loop's share is what a
 * deployment with spare cores pays. Prints one table and the ratios against goals.
 *
 * Every server runs for the whole benchmark and the configurations take turns in short rounds at
 * each concurrency, so a neighbour's load on a shared machine falls on all of them alike rather
 * than on whichever happened to run at that moment. Every measured run follows an unmeasured 1 s
 * lead-in on the same configuration, so the background work it inherits (the last second's log
 * flush, shadow batches in flight) is its own steady state's, not the previous configuration's:
 * without it, shadow mode paid for the batching-off worker's log flush and the default worker
 * started each run with nothing to write. Ratios print the pooled value and their range over the
 * rounds, which shows how much of a difference is the machine's noise.
 *
 * "Throughput" in the goals is also read as capacity: each server's best throughput over the
 * concurrencies, which is what a server is sized by.
 *
 * Options: --seconds N measured per point (default 8), --rounds N turns per point (default 8: on a
 * shared 2-core machine a round's ratio can be ±5 points off, and the ranges show it),
 * --quick (fewer points, 2 rounds of 1 s), --generator wrk|node (default: wrk when installed).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { listValue } from '@duckdb/node-api';
import type { AuditContext } from '../core/types';
import { withDuckDB } from '../data/duckdb';
import { FsRegistryStore } from '../registry/fs-store';
import { promoteToChampion, startCandidate } from '../registry/lifecycle';
import { OnnxModel } from '../scoring/onnx-model';
import { startChild, type ChildServer } from './lib/child';
import { DEMO_FEATURES, demoApplications, featureRow, trainDemoOnnx } from './lib/demo-model';
import { closedLoop, mergeResults, openLoop, type LoadResult, type Target } from './lib/load';
import { cpuMs } from './lib/proc-cpu';
import { Samples, summarize } from './lib/stats';
import { wrkClosedLoop, wrkInstalled } from './lib/wrk';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({ options: { seconds: { type: 'string' }, rounds: { type: 'string' }, quick: { type: 'boolean' }, generator: { type: 'string' } } });
const SECONDS = Number(flags.seconds ?? (flags.quick ? 2 : 8));
const ROUNDS = Number(flags.rounds ?? (flags.quick ? 2 : 8));
const CONCURRENCIES = flags.quick ? [1, 32] : [1, 8, 16, 32, 64];
const LOG_COST_AT = flags.quick ? [32] : [1, 32];
const RATE = 2000;
const WRK_FOUND = wrkInstalled();
const GENERATOR = flags.generator ?? (WRK_FOUND ? 'wrk' : 'node');
if (GENERATOR !== 'wrk' && GENERATOR !== 'node') throw new Error(`--generator ${GENERATOR}: use wrk or node`);
if (GENERATOR === 'wrk' && !WRK_FOUND) throw new Error('--generator wrk: wrk is not on PATH (Debian: apt-get install wrk)');
if (GENERATOR === 'wrk' && !Number.isInteger(SECONDS / ROUNDS)) {
  throw new Error(`--seconds ${SECONDS} / --rounds ${ROUNDS}: wrk runs whole seconds; make --seconds a multiple of --rounds (or --generator node)`);
}
const ctx: AuditContext = { actor: 'bench', reason: 'serving benchmark' };

type ConfigName = 'bare' | 'bare + model' | 'serving' | 'serving, batching off' | 'serving, log off' | 'shadow';

interface Config {
  name: ConfigName;
  describe: string;
  target: Target;
  concurrencies: number[];
  /** The server's process, for its CPU per request (serving workers only). */
  pid?: number;
}

/** Server CPU per acknowledged request, µs: its event loop (main thread) and the whole process. */
interface CpuPerRequest {
  loop: number;
  process: number;
}

interface LogCheck {
  config: string;
  segments: number;
  rows: number;
  /** The rows the worker scored by its own counters: served rows, and shadow rows scored or refused. */
  scored: number;
  /** Shadow rows dropped because the shadow queue was full (not logged, by design). */
  shadowDropped: number;
  /** What the load generators saw acknowledged: one row each, two in shadow mode (champion and shadow). */
  acknowledged: number;
}

interface WorkerCounts {
  scored: number;
  shadowDropped: number;
  /** Shadow rows submitted but not yet accounted for (still queued or being scored). */
  shadowPending: number;
}

/** A worker's /metrics counters: what it scored, and where its shadow rows stand. */
async function workerCounts(url: string): Promise<WorkerCounts> {
  const response = await fetch(`${url}/metrics`);
  if (!response.ok) throw new Error(`GET ${url}/metrics: ${response.status}`);
  const counts = { scored: 0, shadowDropped: 0, shadowPending: 0 };
  for (const line of (await response.text()).split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('ratchet_serving_predictions_total{')) {
      counts.scored += value;
      // Every request to credit-shadow (100 % shadow) submits one shadow row.
      if (line.includes('model="credit-shadow"')) counts.shadowPending += value;
    } else if (line.startsWith('ratchet_serving_shadow_rows_total{')) {
      counts.shadowPending -= value;
      if (line.includes('outcome="dropped"')) counts.shadowDropped += value;
      else counts.scored += value;
    }
  }
  return counts;
}

/** The worker's counts once every shadow row submitted has been scored, refused or dropped. */
async function settledCounts(url: string, timeoutMs = 10_000): Promise<WorkerCounts> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const counts = await workerCounts(url);
    if (counts.shadowPending === 0) return counts;
    if (performance.now() > deadline) throw new Error(`${url}: ${counts.shadowPending} shadow rows still unaccounted for after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function setupRegistry(dir: string): Promise<void> {
  const store = new FsRegistryStore(dir);
  const champion = trainDemoOnnx(1);
  const candidate = trainDemoOnnx(2, true);
  for (const model of ['credit', 'credit-shadow']) {
    for (const [runId, artifact] of [['run-1', champion], ['run-2', candidate]] as const) {
      await store.registerVersion(
        { model, runId, status: 'approved', trainer: { kind: 'builtin-logistic', params: {} }, features: DEMO_FEATURES, threshold: 0.2, snapshot: null, metrics: {}, gates: [], reportPath: null, tags: {} },
        artifact,
        ctx,
      );
    }
    await promoteToChampion(store, model, 1, ctx);
  }
  await startCandidate(store, 'credit-shadow', 2, { mode: 'shadow', percent: 100 }, ctx);
}

async function measureInProcessModel(seconds: number): Promise<{ callsPerSecond: number; p50: number; p99: number }> {
  const model = await OnnxModel.load(trainDemoOnnx(1), DEMO_FEATURES, { intraOpNumThreads: 1 });
  const rows = demoApplications(512, 99).map(featureRow);
  for (let i = 0; i < 2000; i++) await model.scoreRows([rows[i % rows.length]]);
  const samples = new Samples();
  const end = performance.now() + seconds * 1000;
  for (let i = 0; performance.now() < end; i++) {
    const started = performance.now();
    await model.scoreRows([rows[i % rows.length]]);
    samples.push(performance.now() - started);
  }
  await model.close();
  const s = summarize(samples.values());
  return { callsPerSecond: s.count / seconds, p50: s.p50, p99: s.p99 };
}

/** `concurrency` requests in flight for `seconds`, on the chosen generator. */
function closedLoopOn(target: Target, concurrency: number, seconds: number): Promise<LoadResult> {
  return GENERATOR === 'wrk' ? wrkClosedLoop(target, concurrency, seconds, { scriptDir: os.tmpdir() }) : closedLoop(target, concurrency, seconds, 0);
}

function servingWorker(registry: string, log: string, batching: 'on' | 'off'): Promise<ChildServer> {
  return startChild('workers/serving/main.ts', ['--registry', registry, '--port', '0', '--log', log, '--batching', batching], { cwd: root });
}

/** What a worker's log holds after its clean stop: segments and rows. */
async function countLogged(logDir: string): Promise<{ segments: number; rows: number }> {
  const files = (await fs.readdir(logDir, { recursive: true })).map(String).filter((f) => f.endsWith('.parquet') && !path.basename(f).startsWith('.'));
  if (files.length === 0) return { segments: 0, rows: 0 };
  const rows = await withDuckDB(async (c) => {
    const reader = await c.runAndReadAll('SELECT count(*) FROM read_parquet($1)', [listValue(files.map((f) => path.join(logDir, f)))]);
    return Number(reader.getRowsJS()[0][0]);
  });
  return { segments: files.length, rows };
}

async function main(): Promise<void> {
  const started = performance.now();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-bench-serving-'));
  const children = new Map<string, ChildServer>();
  try {
    const registry = path.join(work, 'registry');
    await setupRegistry(registry);
    const bodies = demoApplications(512, 99).map((app, i) => Buffer.from(JSON.stringify({ entity_id: `c${i}`, features: featureRow(app) })));
    const target = (url: string, model = 'credit'): Target => ({ url, path: `/v1/models/${model}/predict`, bodies });
    process.stderr.write(`serving benchmark: ${ROUNDS} × ${SECONDS / ROUNDS} s per point, ${os.cpus().length} cores, closed loops on ${GENERATOR === 'wrk' ? 'wrk' : 'the Node generator (install wrk for a cheaper one)'}\n`);

    process.stderr.write('(c) the model alone, in process\n');
    const model = await measureInProcessModel(2);

    const logDirs = { default: path.join(work, 'log-default'), unbatched: path.join(work, 'log-unbatched') };
    const [bare, bareModel, batched, unbatched, unlogged] = await Promise.all([
      startChild('bench/lib/bare-server.ts', [], { cwd: root, pattern: /bare server at (\S+)/ }),
      startChild('bench/lib/bare-server.ts', ['--model'], { cwd: root, pattern: /bare server at (\S+)/ }),
      servingWorker(registry, logDirs.default, 'on'),
      servingWorker(registry, logDirs.unbatched, 'off'),
      servingWorker(registry, 'off', 'on'),
    ]);
    Object.entries({ bare, bareModel, batched, unbatched, unlogged }).forEach(([k, v]) => children.set(k, v));
    // In each round the configurations run in this order: those compared for a goal (serving and
    // bare, shadow and serving) close together, so a slow drift of the machine's speed falls on both.
    const configs: Config[] = [
      { name: 'bare', describe: '(b) bare Fastify, constant answer', target: target(bare.url), concurrencies: CONCURRENCIES },
      { name: 'bare + model', describe: '(b2) bare Fastify + one onnxruntime call per request', target: target(bareModel.url), concurrencies: CONCURRENCIES },
      { name: 'serving', describe: '(a) serving: log on, batching on (default)', target: target(batched.url), concurrencies: CONCURRENCIES, pid: batched.pid },
      { name: 'shadow', describe: '(d) serving in shadow mode (default settings)', target: target(batched.url, 'credit-shadow'), concurrencies: CONCURRENCIES, pid: batched.pid },
      { name: 'serving, log off', describe: '(a) serving: log off, batching on', target: target(unlogged.url), concurrencies: LOG_COST_AT },
      { name: 'serving, batching off', describe: '(a) serving: log on, batching off', target: target(unbatched.url), concurrencies: CONCURRENCIES },
    ];

    const results = new Map<string, LoadResult>();
    const rounds = new Map<string, LoadResult[]>();
    const cpu = new Map<string, CpuPerRequest>();
    /** Responses of the unmeasured lead-in runs, for the log check. */
    const leadInAcknowledged = new Map<ConfigName, number>();
    const key = (name: ConfigName, c: number) => `${name}@${c}`;
    for (const c of CONCURRENCIES) {
      const runs = new Map<ConfigName, LoadResult[]>();
      const spent = new Map<ConfigName, { loop: number; process: number; requests: number }>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const config of configs.filter((cfg) => cfg.concurrencies.includes(c))) {
          // A lead-in on the same configuration before every measured run: in round 0 it warms it up
          // (JIT, caches); in every round it makes the background work the run inherits (the last
          // second's log flush, a shadow batch in flight) this configuration's own, as in steady
          // state, not the previous configuration's. Every run opens its own connections.
          const leadIn = await closedLoopOn(config.target, c, 1);
          leadInAcknowledged.set(config.name, (leadInAcknowledged.get(config.name) ?? 0) + leadIn.acknowledged);
          const before = config.pid ? [cpuMs(config.pid, config.pid), cpuMs(config.pid)] : null;
          const run = await closedLoopOn(config.target, c, SECONDS / ROUNDS);
          runs.set(config.name, [...(runs.get(config.name) ?? []), run]);
          const after = config.pid ? [cpuMs(config.pid, config.pid), cpuMs(config.pid)] : null;
          if (before && after && before.every((v) => v !== null) && after.every((v) => v !== null)) {
            const total = spent.get(config.name) ?? { loop: 0, process: 0, requests: 0 };
            spent.set(config.name, { loop: total.loop + after[0]! - before[0]!, process: total.process + after[1]! - before[1]!, requests: total.requests + run.acknowledged });
          }
        }
      }
      for (const [name, s] of spent) cpu.set(key(name, c), { loop: (1000 * s.loop) / s.requests, process: (1000 * s.process) / s.requests });
      for (const [name, list] of runs) {
        const merged = mergeResults(list);
        results.set(key(name, c), merged);
        rounds.set(key(name, c), list);
        process.stderr.write(`  c=${String(c).padEnd(3)} ${name.padEnd(22)} ${fmt(merged.throughput, 0).padStart(7)} req/s  p50 ${fmt(merged.p50, 3)}  p99 ${fmt(merged.p99, 3)} ms${merged.errors ? `  ${merged.errors} errors` : ''}\n`);
      }
    }

    process.stderr.write(`(e) fixed rate ${RATE} req/s on the default serving worker, without and with shadow\n`);
    // Each after a 1 s lead-in at the same rate, as the closed loops: the background work the
    // measured run inherits is its own steady state's. Lead-in responses count for the log check.
    let fixedRateLeadIns = 0;
    const fixedRateRun = async (model: string, rowsPerResponse: number) => {
      fixedRateLeadIns += rowsPerResponse * (await openLoop(target(batched.url, model), RATE, 1)).acknowledged;
      return openLoop(target(batched.url, model), RATE, 4);
    };
    const fixedRate = await fixedRateRun('credit', 1);
    const fixedRateShadow = await fixedRateRun('credit-shadow', 2);
    for (const r of [fixedRate, fixedRateShadow]) process.stderr.write(`  ${fmt(r.throughput, 0)} req/s  p50 ${fmt(r.p50, 3)}  p99 ${fmt(r.p99, 3)} ms\n`);

    // The workers' own counts of what they scored, once their shadow queues are settled; then clean
    // stops; then every row scored must be in the log.
    const counted = { default: await settledCounts(batched.url), unbatched: await settledCounts(unbatched.url) };
    for (const [name, child] of children) {
      const code = await child.stop();
      children.delete(name);
      if (code !== 0) throw new Error(`${name} exited ${code} on SIGTERM`);
    }
    // wrk leaves the responses in flight when a run stops uncounted (up to one per connection): scored ≥ acknowledged.
    const acked = (names: ConfigName[]) =>
      [...results].filter(([k]) => names.some((n) => k.startsWith(`${n}@`))).reduce((n, [, r]) => n + r.acknowledged, 0) +
      names.reduce((n, name) => n + (leadInAcknowledged.get(name) ?? 0), 0);
    const logChecks: LogCheck[] = [
      {
        config: 'default worker (serving, shadow, fixed rate)',
        ...(await countLogged(logDirs.default)),
        ...counted.default,
        acknowledged: acked(['serving']) + 2 * acked(['shadow']) + fixedRateLeadIns + fixedRate.acknowledged + 2 * fixedRateShadow.acknowledged,
      },
      { config: 'batching-off worker', ...(await countLogged(logDirs.unbatched)), ...counted.unbatched, acknowledged: acked(['serving, batching off']) },
    ];
    report(configs, results, rounds, cpu, key, model, { plain: fixedRate, shadow: fixedRateShadow }, logChecks);
    process.stderr.write(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  } finally {
    await Promise.allSettled([...children.values()].map((c) => c.stop()));
    await fs.rm(work, { recursive: true, force: true });
  }
}

function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : '−'}${fmt(Math.abs(n), 1)}`;
}

function report(
  configs: Config[],
  results: Map<string, LoadResult>,
  rounds: Map<string, LoadResult[]>,
  cpu: Map<string, CpuPerRequest>,
  key: (name: ConfigName, c: number) => string,
  model: { callsPerSecond: number; p50: number; p99: number },
  fixed: { plain: LoadResult; shadow: LoadResult },
  logChecks: LogCheck[],
): void {
  const fixedRate = fixed.plain;
  const get = (name: ConfigName, c: number) => results.get(key(name, c));
  const lines: string[] = ['', '| configuration | concurrency | req/s | p50 ms | p99 ms | errors |', '|---|---|---|---|---|---|'];
  for (const config of configs) {
    for (const c of config.concurrencies) {
      const r = get(config.name, c)!;
      lines.push(`| ${config.describe} | ${c} | ${fmt(r.throughput, 0)} | ${fmt(r.p50, 3)} | ${fmt(r.p99, 3)} | ${r.errors} |`);
    }
  }
  lines.push(`| (e) serving at a fixed ${RATE} req/s | open | ${fmt(fixedRate.throughput, 0)} | ${fmt(fixedRate.p50, 3)} | ${fmt(fixedRate.p99, 3)} | ${fixedRate.errors} |`);
  lines.push(`| (e) shadow mode at a fixed ${RATE} req/s | open | ${fmt(fixed.shadow.throughput, 0)} | ${fmt(fixed.shadow.p50, 3)} | ${fmt(fixed.shadow.p99, 3)} | ${fixed.shadow.errors} |`);
  lines.push(`| (c) OnnxModel.scoreRows, 1 row, in process | 1 | ${fmt(model.callsPerSecond, 0)} | ${fmt(model.p50, 3)} | ${fmt(model.p99, 3)} | 0 |`);

  lines.push('', '| ratio | concurrency | value | goal |', '|---|---|---|---|');
  /** " (rounds min to max)" of per-round values; a round without a successful request has no value and is left out. */
  const roundsRange = (perRound: number[], format: (v: number) => string) => {
    const values = perRound.filter(Number.isFinite);
    return values.length > 1 ? ` (rounds ${format(Math.min(...values))} to ${format(Math.max(...values))})` : '';
  };
  /** The pooled value of `value` over all rounds, and its range over the rounds taken pairwise. */
  const ratio = (label: string, a: ConfigName, b: ConfigName, value: (x: LoadResult, y: LoadResult) => number, format: (v: number) => string, goal: string, at = CONCURRENCIES) => {
    for (const c of at) {
      const x = get(a, c);
      const y = get(b, c);
      if (!x || !y) continue;
      const ys = rounds.get(key(b, c)) ?? [];
      const perRound = (rounds.get(key(a, c)) ?? []).map((r, i) => value(r, ys[i]!));
      lines.push(`| ${label} | ${c} | ${format(value(x, y))}${roundsRange(perRound, format)} | ${goal} |`);
    }
  };
  const percent = (digits: number) => (v: number) => `${fmt(v, digits)} %`;
  const share = (x: LoadResult, y: LoadResult) => (100 * x.throughput) / y.throughput;
  /** The throughput x loses against y, in %. */
  const cost = (x: LoadResult, y: LoadResult) => 100 - share(x, y);
  ratio('serving / bare throughput', 'serving', 'bare', share, percent(0), '≥ 50 %');
  ratio('the model call alone: bare + model / bare throughput', 'bare + model', 'bare', share, percent(0), '');
  ratio("Ratchet's machinery: serving / (bare + model) throughput", 'serving', 'bare + model', share, percent(0), '');
  ratio('shadow cost at saturation: 1 − shadow / serving throughput', 'shadow', 'serving', cost, percent(1), '< 10 %');
  // Capacity: each server's best throughput over the concurrencies (a server is sized by it); the
  // range takes each round's best, so a lucky point in one round does not pass for the capacity.
  const best = (points: { c: number; r: LoadResult | undefined }[]) =>
    points.filter((p): p is { c: number; r: LoadResult } => p.r !== undefined).reduce((a, p) => (p.r.throughput > a.r.throughput ? p : a));
  const capacity = (name: ConfigName) => best(CONCURRENCIES.map((c) => ({ c, r: get(name, c) })));
  const capacityInRound = (name: ConfigName, round: number) => best(CONCURRENCIES.map((c) => ({ c, r: rounds.get(key(name, c))?.[round] }))).r;
  const capacityRatio = (label: string, a: ConfigName, b: ConfigName, value: (x: LoadResult, y: LoadResult) => number, format: (v: number) => string, goal: string) => {
    const [x, y] = [capacity(a), capacity(b)];
    const perRound = Array.from({ length: ROUNDS }, (_, i) => value(capacityInRound(a, i), capacityInRound(b, i)));
    lines.push(`| ${label} (${fmt(x.r.throughput, 0)} at c=${x.c} / ${fmt(y.r.throughput, 0)} at c=${y.c} req/s) | best | ${format(value(x.r, y.r))}${roundsRange(perRound, format)} | ${goal} |`);
  };
  capacityRatio('capacity: serving / bare', 'serving', 'bare', share, percent(0), '≥ 50 %');
  capacityRatio('capacity: 1 − shadow / serving', 'shadow', 'serving', cost, percent(1), '< 10 %');
  for (const c of CONCURRENCIES) {
    const plain = cpu.get(key('serving', c));
    const shadow = cpu.get(key('shadow', c));
    if (!plain || !shadow) continue;
    lines.push(`| server CPU per request, µs (event loop / whole process): serving ${fmt(plain.loop, 1)} / ${fmt(plain.process, 1)}, shadow ${fmt(shadow.loop, 1)} / ${fmt(shadow.process, 1)} | ${c} | loop ${signed(100 * (shadow.loop / plain.loop - 1))} %, process ${signed(100 * (shadow.process / plain.process - 1))} % | |`);
  }
  lines.push(`| shadow cost on the response path: p50 shadow / serving at ${RATE} req/s | open | ${fmt(fixed.shadow.p50 / fixedRate.p50, 2)} | < 1.10 |`);
  lines.push(`| shadow cost on the response path: p99 shadow / serving at ${RATE} req/s | open | ${fmt(fixed.shadow.p99 / fixedRate.p99, 2)} | < 1.10 |`);
  ratio('log cost: 1 − log on / log off throughput', 'serving', 'serving, log off', cost, percent(1), 'small', LOG_COST_AT);
  ratio('batching on / off: throughput', 'serving', 'serving, batching off', (x, y) => x.throughput / y.throughput, (v) => fmt(v, 2), '> 1 under concurrency, ≥ 0.9 at 1');
  ratio('batching on / off: p50 latency', 'serving', 'serving, batching off', (x, y) => x.p50 / y.p50, (v) => fmt(v, 2), '');
  lines.push(`| p99 at a fixed ${RATE} req/s | open | ${fmt(fixedRate.p99, 3)} ms | < 5 ms |`);
  const single = get('serving', 1);
  if (single) lines.push(`| the model's share of a sequential request: (c) p50 / serving p50 | 1 | ${fmt((100 * model.p50) / single.p50, 1)} % | |`);
  for (const l of logChecks) {
    lines.push(`| rows logged / scored (the worker's counters), ${l.config}, ${l.segments} segments | all | ${l.rows} / ${l.scored} | equal after a clean stop |`);
    lines.push(`| rows scored / acknowledged to the load generators, ${l.config} | all | ${l.scored} / ${l.acknowledged} | scored ≥ acknowledged |`);
    lines.push(`| shadow rows dropped (queue full), ${l.config} | all | ${l.shadowDropped} | 0 |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
