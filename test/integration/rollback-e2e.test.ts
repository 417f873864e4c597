/**
 * Incident rollback end to end: two real serving workers under traffic, the rollback workflow on
 * a real Temporal server flips routing to the previous champion, both workers confirm, not one
 * request fails during the flip, and the incident lands in the audit log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { rollbackWorkflowId } from '../../workflows/definitions';
import type { rollback } from '../../workflows/rollback';
import { recordHistory } from '../helpers/histories';
import { rollbackRig, type RollbackRig } from '../helpers/rollback-rig';
import { connectTestServer, type TemporalTestServer } from '../helpers/temporal';

describe('incident rollback with two serving workers', () => {
  let server: TemporalTestServer;
  let rig: RollbackRig;

  before(async () => {
    server = await connectTestServer();
    rig = await rollbackRig(server.nativeConnection, 'fraud');
  });

  after(async () => {
    await rig?.close();
    await server?.close();
  });

  async function load(stop: () => boolean): Promise<{ ok: number; failed: number; versions: Set<number> }> {
    let ok = 0;
    let failed = 0;
    const versions = new Set<number>();
    await Promise.all(
      Array.from({ length: 8 }, async (_, client) => {
        for (let i = 0; !stop(); i++) {
          const url = rig.servers[(client + i) % rig.servers.length]!.url;
          const response = await fetch(`${url}/v1/models/fraud/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ entity_id: `c${client}-${i}`, features: { age: 30 + (i % 40), income: 20_000 + i, plan: 'pro' } }),
          }).catch(() => null);
          if (response?.ok) {
            ok++;
            versions.add(((await response.json()) as { version: number }).version);
          } else failed++;
        }
      }),
    );
    return { ok, failed, versions };
  }

  test('an operator rolls back to the previous champion while both workers take traffic', async () => {
    let done = false;
    const traffic = load(() => done);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const handle = await server.client.workflow.start<typeof rollback>('rollback', {
      workflowId: `${rollbackWorkflowId('fraud', new Date())}-${rig.taskQueue}`,
      taskQueue: rig.taskQueue,
      args: [{ model: 'fraud', to: 'previous', actor: 'oncall', reason: 'error spike after v2', kind: 'incident', cancelPromotion: true, configPath: rig.configPath }],
    });
    const result = await handle.result();
    const elapsed = Date.now() - started;
    await new Promise((r) => setTimeout(r, 300));
    done = true;
    const { ok, failed, versions } = await traffic;

    assert.equal(failed, 0, 'no request failed during the flip');
    assert.ok(ok > 50, `traffic flowed (${ok} requests)`);
    assert.deepEqual([...versions].sort(), [1, 2], 'responses moved from v2 to v1');
    assert.deepEqual(result.from, { champion: 2, candidate: null });
    assert.deepEqual(result.to, { champion: 1, candidate: null });
    assert.deepEqual(result.workersConfirmed.map((w) => w.id).sort(), ['serving-a', 'serving-b']);
    assert.deepEqual(result.workersUnconfirmed, []);
    assert.ok(elapsed < 10_000, `rollback took ${elapsed} ms`);
    for (const s of rig.servers) {
      const ready = (await (await fetch(`${s.url}/readyz`)).json()) as { models: { model: string; loaded: { champion: number } }[] };
      assert.equal(ready.models.find((m) => m.model === 'fraud')?.loaded.champion, 1);
    }
    const incident = (await rig.store.readAudit('fraud')).find((a) => a.action === 'incident');
    assert.equal(incident?.actor, 'oncall');
    assert.equal(incident?.reason, 'error spike after v2');
    assert.deepEqual((incident?.details as { from: unknown }).from, { champion: 2, candidate: null });
    assert.equal(typeof (incident?.details as { durationMs: unknown }).durationMs, 'number');
    await recordHistory(handle, 'rollback-incident', server.address);
  });

  test('someone who is not an operator cannot roll back; routing is untouched', async () => {
    const before = await rig.store.getRouting('fraud');
    const err = await server.client.workflow
      .execute<typeof rollback>('rollback', {
        workflowId: `rollback-refused-${rig.taskQueue}`,
        taskQueue: rig.taskQueue,
        args: [{ model: 'fraud', to: 2, actor: 'mallory', reason: 'because', kind: 'incident', cancelPromotion: true, configPath: rig.configPath }],
      })
      .then(
        () => assert.fail('expected the rollback to be refused'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof WorkflowFailedError);
    assert.match((err.cause as Error).message, /mallory may not roll back fraud; operators: oncall, alice/);
    assert.deepEqual(await rig.store.getRouting('fraud'), before);
  });
});
