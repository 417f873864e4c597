import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AuditContext, ModelVersion, NewVersion, Routing, VersionStatus } from '../../core/types';
import { FsRegistryStore } from '../../registry/fs-store';
import {
  LifecycleError,
  clearCandidate,
  nextRouting,
  promoteToChampion,
  rollbackTo,
  startCandidate,
  statusChanges,
  type RoutingAction,
} from '../../registry/lifecycle';

function routing(fields: Partial<Routing>): Routing {
  return {
    model: 'churn',
    champion: null,
    previous: null,
    candidate: null,
    mode: 'none',
    percent: 0,
    revision: 3,
    updatedAt: '2025-01-01T00:00:00.000Z',
    ...fields,
  };
}

describe('nextRouting (pure)', () => {
  const cases: { name: string; from: Partial<Routing>; action: RoutingAction; to: Partial<Routing> }[] = [
    {
      name: 'first promotion',
      from: {},
      action: { kind: 'promote', version: 1 },
      to: { champion: 1, previous: null, candidate: null, mode: 'none', percent: 0 },
    },
    {
      name: 'promotion ends a canary: old champion becomes previous',
      from: { champion: 2, previous: 1, candidate: 3, mode: 'canary', percent: 50 },
      action: { kind: 'promote', version: 3 },
      to: { champion: 3, previous: 2, candidate: null, mode: 'none', percent: 0 },
    },
    {
      name: 'promoting the champion again changes nothing (a retried step)',
      from: { champion: 3, previous: 2 },
      action: { kind: 'promote', version: 3 },
      to: { champion: 3, previous: 2, candidate: null, mode: 'none', percent: 0 },
    },
    {
      name: 'promoting the previous swaps the two',
      from: { champion: 3, previous: 2 },
      action: { kind: 'promote', version: 2 },
      to: { champion: 2, previous: 3 },
    },
    {
      name: 'start a shadow candidate',
      from: { champion: 2, previous: 1 },
      action: { kind: 'start_candidate', version: 3, mode: 'shadow', percent: 100 },
      to: { champion: 2, previous: 1, candidate: 3, mode: 'shadow', percent: 100 },
    },
    {
      name: 'the same candidate moves to the next canary stage',
      from: { champion: 2, candidate: 3, mode: 'canary', percent: 5 },
      action: { kind: 'start_candidate', version: 3, mode: 'canary', percent: 25 },
      to: { champion: 2, candidate: 3, mode: 'canary', percent: 25 },
    },
    {
      name: 'clear a candidate',
      from: { champion: 2, previous: 1, candidate: 3, mode: 'canary', percent: 25 },
      action: { kind: 'clear_candidate' },
      to: { champion: 2, previous: 1, candidate: null, mode: 'none', percent: 0 },
    },
    {
      name: 'roll back to previous',
      from: { champion: 3, previous: 2 },
      action: { kind: 'rollback', to: 'previous' },
      to: { champion: 2, previous: 3, candidate: null, mode: 'none' },
    },
    {
      name: 'roll back to a named older version during a canary',
      from: { champion: 3, previous: 2, candidate: 4, mode: 'canary', percent: 5 },
      action: { kind: 'rollback', to: 1 },
      to: { champion: 1, previous: 3, candidate: null, mode: 'none', percent: 0 },
    },
    {
      name: 'roll back to previous when there is no champion',
      from: { previous: 2 },
      action: { kind: 'rollback', to: 'previous' },
      to: { champion: 2, previous: null },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = nextRouting(routing(c.from), c.action);
      for (const [key, value] of Object.entries(c.to)) assert.equal(result[key as keyof typeof result], value, key);
    });
  }

  const refusals: { name: string; from: Partial<Routing>; action: RoutingAction; message: RegExp }[] = [
    { name: 'rollback without previous', from: { champion: 1 }, action: { kind: 'rollback', to: 'previous' }, message: /no previous version/ },
    { name: 'candidate without champion', from: {}, action: { kind: 'start_candidate', version: 1, mode: 'canary', percent: 5 }, message: /no champion/ },
    { name: 'champion as candidate', from: { champion: 2 }, action: { kind: 'start_candidate', version: 2, mode: 'canary', percent: 5 }, message: /already the champion/ },
    { name: 'second candidate', from: { champion: 2, candidate: 3, mode: 'shadow', percent: 100 }, action: { kind: 'start_candidate', version: 4, mode: 'canary', percent: 5 }, message: /already has candidate 3.*clear it/ },
    { name: 'bad percent', from: { champion: 2 }, action: { kind: 'start_candidate', version: 3, mode: 'canary', percent: 101 }, message: /percent/ },
    { name: 'bad mode', from: { champion: 2 }, action: { kind: 'start_candidate', version: 3, mode: 'none' as 'canary', percent: 5 }, message: /mode/ },
  ];
  for (const r of refusals) {
    it(`refuses: ${r.name}`, () => {
      assert.throws(() => nextRouting(routing(r.from), r.action), (error: Error) => {
        assert.ok(error instanceof LifecycleError);
        assert.match(error.message, r.message);
        return true;
      });
    });
  }
});

describe('statusChanges (pure)', () => {
  const version = (n: number, status: VersionStatus) => ({ version: n, status }) as ModelVersion;

  it('marks routed champion and previous, archives versions the routing dropped, leaves others alone', () => {
    const versions = [version(1, 'previous'), version(2, 'champion'), version(3, 'approved'), version(4, 'rejected'), version(5, 'candidate')];
    assert.deepEqual(statusChanges(routing({ champion: 3, previous: 2, candidate: 5, mode: 'none' }), versions), [
      { version: 1, from: 'previous', to: 'archived' },
      { version: 2, from: 'champion', to: 'previous' },
      { version: 3, from: 'approved', to: 'champion' },
    ]);
  });

  it('is empty when statuses already match', () => {
    assert.deepEqual(statusChanges(routing({ champion: 2, previous: 1 }), [version(1, 'previous'), version(2, 'champion')]), []);
  });
});

describe('lifecycle over the filesystem store', () => {
  let root: string;
  let store: FsRegistryStore;
  const ctx: AuditContext = { actor: 'ratchet', reason: 'lifecycle test', workflowId: 'promote-churn-1' };

  const newVersion = (runId: string): NewVersion => ({
    model: 'churn',
    runId,
    status: 'approved',
    trainer: { kind: 'logistic', params: {} },
    features: [{ name: 'age', type: 'numeric' }],
    threshold: 0.5,
    snapshot: null,
    metrics: {},
    gates: [],
    reportPath: null,
    tags: {},
  });

  async function statuses(): Promise<Record<number, VersionStatus>> {
    return Object.fromEntries((await store.listVersions('churn')).map((v) => [v.version, v.status]));
  }

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-lifecycle-'));
    store = new FsRegistryStore(root);
    for (let i = 1; i <= 4; i++) await store.registerVersion(newVersion(`run-${i}`), new TextEncoder().encode(`m${i}`), ctx);
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('walks promote → canary → promote → rollback, keeping statuses and audit in step', async () => {
    let r = await promoteToChampion(store, 'churn', 1, ctx);
    assert.deepEqual([r.champion, r.previous, r.revision], [1, null, 1]);
    assert.deepEqual(await statuses(), { 1: 'champion', 2: 'approved', 3: 'approved', 4: 'approved' });

    await promoteToChampion(store, 'churn', 2, ctx);
    r = await startCandidate(store, 'churn', 3, { mode: 'canary', percent: 5 }, ctx);
    assert.deepEqual([r.champion, r.previous, r.candidate, r.mode, r.percent], [2, 1, 3, 'canary', 5]);
    r = await startCandidate(store, 'churn', 3, { mode: 'canary', percent: 25 }, ctx);
    assert.equal(r.percent, 25);

    r = await promoteToChampion(store, 'churn', 3, ctx);
    assert.deepEqual([r.champion, r.previous, r.candidate, r.mode], [3, 2, null, 'none']);
    assert.deepEqual(await statuses(), { 1: 'archived', 2: 'previous', 3: 'champion', 4: 'approved' });

    r = await rollbackTo(store, 'churn', 'previous', { actor: 'oncall', reason: 'incident 42' });
    assert.deepEqual([r.champion, r.previous], [2, 3]);
    assert.deepEqual(await statuses(), { 1: 'archived', 2: 'champion', 3: 'previous', 4: 'approved' });

    const last = (await store.readAudit('churn', { limit: 3 })).map((a) => [a.action, a.actor, a.reason, a.version]);
    assert.deepEqual(last, [
      ['routing', 'oncall', 'incident 42', 2],
      ['status', 'oncall', 'incident 42', 2],
      ['status', 'oncall', 'incident 42', 3],
    ]);
  });

  it('clears a candidate without touching statuses, and is idempotent', async () => {
    await promoteToChampion(store, 'churn', 1, ctx);
    await startCandidate(store, 'churn', 2, { mode: 'shadow', percent: 100 }, ctx);
    const before = await statuses();
    const r = await clearCandidate(store, 'churn', ctx);
    assert.deepEqual([r.candidate, r.mode, r.percent], [null, 'none', 0]);
    assert.equal((await clearCandidate(store, 'churn', ctx)).revision, r.revision);
    assert.deepEqual(await statuses(), before);
  });

  it('repairs statuses when an interrupted promotion is retried', async () => {
    await promoteToChampion(store, 'churn', 1, ctx);
    // A crash after the routing update, before the status updates.
    await store.updateRouting('churn', { champion: 2, previous: 1 }, ctx);
    assert.deepEqual(await statuses(), { 1: 'champion', 2: 'approved', 3: 'approved', 4: 'approved' });
    const r = await promoteToChampion(store, 'churn', 2, ctx);
    assert.equal(r.revision, 2); // no new routing change
    assert.deepEqual(await statuses(), { 1: 'previous', 2: 'champion', 3: 'approved', 4: 'approved' });
  });

  it('refuses to promote or start a rejected version, and unknown versions', async () => {
    await store.updateVersion('churn', 4, { status: 'rejected' }, ctx);
    await promoteToChampion(store, 'churn', 1, ctx);
    await assert.rejects(promoteToChampion(store, 'churn', 4, ctx), /rejected/);
    await assert.rejects(startCandidate(store, 'churn', 4, { mode: 'canary', percent: 5 }, ctx), /rejected/);
    await assert.rejects(rollbackTo(store, 'churn', 9, ctx), /no version 9/);
    await assert.rejects(rollbackTo(store, 'churn', 'previous', ctx), LifecycleError);
    assert.equal((await store.getRouting('churn')).champion, 1);
  });
});
