/**
 * Two serving worker processes (workers/serving/main.ts) on one registry, each under client
 * load. What must be kept:
 *   - SIGKILL one (A): every request to the other (B) still succeeds — zero failures — while the
 *     routing moves to a new champion and B hot-swaps to it;
 *   - A, restarted, serves the routing as it is now (its /readyz names the new champion and the
 *     current routing revision), not what it had when it died;
 *   - A's prediction log after the hard kill: every request A acknowledged more than one flush
 *     window before the kill is in it (the flush window is the flush interval plus the time one
 *     write takes, WRITE_ALLOWANCE_MS here); the few lost were all acknowledged within it;
 *   - B's prediction log after a clean SIGTERM under load: exactly the requests B acknowledged,
 *     counted by request id, and B exits 0.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readPredictionRows } from '../../data/prediction-log';
import { promoteToChampion } from '../../registry/lifecycle';
import { spawnTsx, type ChildHandle } from '../helpers/fault-process';
import { ROW, ctx, jsonClient, testRegistry, trainOnnx, type TestRegistry } from '../helpers/serving-models';

const FLUSH_MS = 250;
const WRITE_ALLOWANCE_MS = 300;
const LANES = 6;

let registry: TestRegistry;
let work: string;
const children: ChildHandle[] = [];

before(async () => {
  registry = await testRegistry();
  await registry.register('churn', 'run-1', trainOnnx(1));
  await registry.register('churn', 'run-2', trainOnnx(-1));
  await promoteToChampion(registry.store, 'churn', 1, ctx);
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-serving-kill-'));
});

after(async () => {
  for (const child of children) await child.stop('SIGKILL');
  await registry?.cleanup();
  await fs.rm(work, { recursive: true, force: true });
});

async function startWorker(id: string): Promise<{ handle: ChildHandle; port: number }> {
  const handle = await spawnTsx({
    script: 'workers/serving/main.ts',
    args: ['--registry', registry.root, '--port', '0', '--log', path.join(work, `log-${id}`), '--log-flush-ms', String(FLUSH_MS), '--poll-ms', '200', '--worker-id', id],
    env: { LOG_LEVEL: 'warn' },
    readyPattern: /serving worker at http:\/\/127\.0\.0\.1:(\d+)/,
  });
  children.push(handle);
  return { handle, port: Number(handle.ready[1]) };
}

interface Load {
  acked: Map<string, { at: number; version: number }>;
  failures: string[];
  stop(): void;
  done: Promise<void>;
}

/** LANES clients sending back to back until stopped (or, with `untilFailure`, until the worker is gone). */
function load(port: number, untilFailure: boolean): Load {
  const client = jsonClient(port, LANES);
  const acked = new Map<string, { at: number; version: number }>();
  const failures: string[] = [];
  let stopped = false;
  let n = 0;
  const lane = async () => {
    while (!stopped) {
      try {
        const { status, body } = await client.post('/v1/models/churn/predict', { entity_id: `e${n++}`, features: ROW });
        if (status === 200) acked.set(body.request_id, { at: performance.now(), version: body.version });
        else {
          failures.push(`${status}: ${JSON.stringify(body)}`);
          if (untilFailure) return;
        }
      } catch (error) {
        failures.push((error as Error).message);
        if (untilFailure) return;
      }
    }
  };
  const done = Promise.all(Array.from({ length: LANES }, lane)).then(() => client.close());
  return { acked, failures, stop: () => (stopped = true), done };
}

async function loggedIds(logDir: string): Promise<Set<string>> {
  const rows = await readPredictionRows({ logDir, model: 'churn', from: Date.now() - 3_600_000, to: Date.now() + 60_000 });
  return new Set(rows.requestId);
}

async function readyz(port: number): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: response.status, body: await response.json() };
}

test('SIGKILL one serving worker under load: the other serves on without a failure; the restarted one serves the current routing', async () => {
  const a = await startWorker('a');
  const b = await startWorker('b');
  const loadA = load(a.port, true);
  const loadB = load(b.port, false);
  await sleep(1500);

  const killedAt = performance.now();
  await a.handle.stop('SIGKILL');
  await loadA.done;
  // While A is down, the routing moves on: v2 becomes champion.
  await sleep(500);
  const routing = await promoteToChampion(registry.store, 'churn', 2, ctx);
  const promotedAt = performance.now();
  await sleep(1500);

  const restartAt = performance.now();
  const a2 = await startWorker('a');
  let ready: { status: number; body: any } | null = null;
  for (let i = 0; i < 100; i++) {
    ready = await readyz(a2.port);
    if (ready.status === 200) break;
    await sleep(50);
  }
  const readyMs = Math.round(performance.now() - restartAt);
  assert.equal(ready?.status, 200, JSON.stringify(ready?.body));
  const model = ready!.body.models.find((m: { model: string }) => m.model === 'churn');
  assert.equal(model.loaded.champion, 2, 'the restarted worker serves the new champion');
  assert.equal(model.loaded.previous, 1);
  assert.equal(model.routingRevision, routing.revision, 'at the current routing revision');
  assert.equal(model.lastError, null);
  const afterRestart = await fetch(`http://127.0.0.1:${a2.port}/v1/models/churn/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: ROW }) });
  assert.equal(((await afterRestart.json()) as { version: number }).version, 2);

  await sleep(500);
  loadB.stop();
  await loadB.done;

  // B: not one failure, and it moved to v2 while serving.
  assert.deepEqual(loadB.failures, [], 'every request to the surviving worker succeeded');
  const bDuringOutage = [...loadB.acked.values()].filter((r) => r.at > killedAt && r.at < restartAt).length;
  assert.ok(bDuringOutage > 100, `B served only ${bDuringOutage} requests while A was down`);
  const versions = [...loadB.acked.values()];
  assert.ok(versions.some((r) => r.version === 1) && versions.some((r) => r.version === 2), 'B served v1, then v2');
  assert.ok(versions.filter((r) => r.at > promotedAt + 1000).every((r) => r.version === 2), 'a second after the promotion B serves only v2');

  // A's log after the hard kill: nothing acknowledged before the flush window is missing.
  const loggedA = await loggedIds(path.join(work, 'log-a'));
  const old = [...loadA.acked].filter(([, r]) => r.at < killedAt - FLUSH_MS - WRITE_ALLOWANCE_MS).map(([id]) => id);
  assert.ok(old.length > 100, `only ${old.length} requests were acknowledged early enough to check`);
  const missing = old.filter((id) => !loggedA.has(id));
  assert.deepEqual(missing, [], `${missing.length} of ${old.length} acknowledged requests are not in A's log`);
  const lost = [...loadA.acked.keys()].filter((id) => !loggedA.has(id)).length;

  // B, SIGTERMed under load: it drains, flushes and exits 0 with exactly what it acknowledged.
  const loadB2 = load(b.port, true);
  await sleep(1000);
  b.handle.child.kill('SIGTERM');
  await loadB2.done;
  const { code } = await b.handle.exited;
  assert.equal(code, 0, b.handle.output().slice(-2000));
  const loggedB = await loggedIds(path.join(work, 'log-b'));
  const ackedB = new Set([...loadB.acked.keys(), ...loadB2.acked.keys()]);
  assert.ok(loadB2.acked.size > 100, `only ${loadB2.acked.size} acknowledged before SIGTERM`);
  assert.deepEqual([...ackedB].filter((id) => !loggedB.has(id)), [], 'acknowledged by B but not in its log');
  assert.deepEqual([...loggedB].filter((id) => !ackedB.has(id)), [], 'in B\'s log but never acknowledged');

  console.log(
    `serving kill: A acknowledged ${loadA.acked.size} before SIGKILL, ${lost} lost (all within the ${FLUSH_MS} ms flush + ${WRITE_ALLOWANCE_MS} ms write window); ` +
      `B served ${loadB.acked.size} with 0 failures (${bDuringOutage} while A was down); A ready again ${readyMs} ms after restart at revision ${routing.revision}; ` +
      `B SIGTERM: ${loadB2.acked.size} acknowledged, all ${loggedB.size} logged rows acknowledged`,
  );
});
