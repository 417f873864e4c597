/**
 * `npm run bench:rollback`: time from the rollback command to every serving worker serving the
 * target. A real Temporal dev server, two real serving workers (routing polled every 200 ms,
 * their default in this rig), the rollback workflow started the way `ratchet rollback` starts it.
 * Goal: p95 under 2 s.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { quietTemporalRuntime } from '../cli/stack';
import { startDevServer } from '../workers/dev-server';
import { rollbackWorkflowId } from '../workflows/definitions';
import type { rollback } from '../workflows/rollback';
import { rollbackRig } from '../test/helpers/rollback-rig';

const ROUNDS = Number(process.env.ROUNDS ?? 20);

quietTemporalRuntime();
const server = await startDevServer({ ui: false });
const connection = await Connection.connect({ address: server.address });
const native = await NativeConnection.connect({ address: server.address });
const client = new Client({ connection });
const rig = await rollbackRig(native, 'bench', { pollIntervalMs: Number(process.env.POLL_MS ?? 200) });

const totals: number[] = [];
const confirmations: number[] = [];
try {
  for (let round = 0; round < ROUNDS + 1; round++) {
    const started = performance.now();
    const result = await client.workflow.execute<typeof rollback>('rollback', {
      workflowId: `${rollbackWorkflowId('bench', new Date())}-${round}`,
      taskQueue: rig.taskQueue,
      args: [{ model: 'bench', to: 'previous', actor: 'oncall', reason: `bench round ${round}`, kind: 'incident', cancelPromotion: true, configPath: rig.configPath }],
    });
    const elapsed = performance.now() - started;
    if (result.workersUnconfirmed.length) throw new Error(`round ${round}: unconfirmed ${JSON.stringify(result.workersUnconfirmed)}`);
    if (round === 0) continue; // warm-up: first workflow task, first activity
    totals.push(elapsed);
    confirmations.push(Math.max(...result.workersConfirmed.map((w) => w.confirmedAfterMs)));
  }
} finally {
  await rig.close();
  await native.close();
  await connection.close();
  await server.stop();
}

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!;
const row = (name: string, xs: number[]) => `${name.padEnd(46)} ${q(xs, 0.5).toFixed(0).padStart(6)} ${q(xs, 0.95).toFixed(0).padStart(6)} ${Math.max(...xs).toFixed(0).padStart(6)}`;
console.log(`\nRollback: ${ROUNDS} rounds, 2 serving workers, routing poll ${process.env.POLL_MS ?? 200} ms\n`);
console.log(`${'measure (ms)'.padEnd(46)} ${'p50'.padStart(6)} ${'p95'.padStart(6)} ${'max'.padStart(6)}`);
console.log(row('command → every worker serves the target', totals));
console.log(row('  of which: routing flip → last worker confirms', confirmations));
const p95 = q(totals, 0.95);
console.log(`\ngoal p95 < 2000 ms: ${p95 < 2000 ? 'met' : 'NOT met'} (${p95.toFixed(0)} ms)`);
