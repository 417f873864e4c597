/**
 * What every RegistryStore promises, as one suite run against each store: the fs store and the
 * PostgreSQL store must give the same answers, the same audit trail and the same guarantees
 * under concurrency. A store's own test file calls `registryContract` with a factory that hands
 * out an empty store per test.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AuditContext, NewVersion } from '../../core/types';
import {
  ArtifactIntegrityError,
  ConflictError,
  InvalidInputError,
  InvalidNameError,
  NotFoundError,
  type RegistryStore,
} from '../../registry/store';

export interface ContractStore {
  store: RegistryStore;
  /** Removes everything the store wrote. */
  close(): Promise<void>;
  /** Damages the stored bytes of an artifact behind the store's back (flips a byte). */
  corruptArtifact(sha256: string): Promise<void>;
}

export interface ContractStoreOptions {
  /** The store's clock: timestamps must come from it, not from the wall. */
  now: () => Date;
}

const ctx: AuditContext = { actor: 'alice', reason: 'contract test', workflowId: 'wf-1' };
const T0 = '2025-01-06T10:00:00.000Z';
const T1 = '2025-01-13T10:00:00.000Z';

export function newVersion(runId: string, model = 'churn'): NewVersion {
  return {
    model,
    runId,
    trainer: { kind: 'logistic', params: { l2: 0.1, solver: 'lbfgs' } },
    features: [
      { name: 'age', type: 'numeric' },
      { name: 'plan', type: 'categorical' },
    ],
    threshold: 0.5,
    snapshot: { snapshotId: 'abcdef0123456789', contentSha256: 'f'.repeat(64), rows: 1200, timeRange: null },
    metrics: { auc: 0.8125, logloss: 0.41, brier: null },
    gates: [{ gate: 'min_performance', verdict: 'pass', blocking: true, value: 0.8125, threshold: 0.75, evidence: 'AUC 0.81 >= 0.75' }],
    reportPath: null,
    tags: { team: 'risk', region: 'eu' },
  };
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function registryContract(
  name: string,
  makeStore: (options: ContractStoreOptions) => Promise<ContractStore>,
): void {
  describe(`RegistryStore contract: ${name}`, () => {
    let handle: ContractStore;
    let store: RegistryStore;
    let clock: Date;

    beforeEach(async () => {
      clock = new Date(T0);
      handle = await makeStore({ now: () => clock });
      store = handle.store;
    });

    afterEach(async () => {
      await handle.close();
    });

    test('registers, gets and lists versions with consecutive numbers and the injected clock', async () => {
      const a = bytes('model-a');
      const v1 = await store.registerVersion(newVersion('run-1'), a, ctx);
      clock = new Date(T1);
      const v2 = await store.registerVersion({ ...newVersion('run-2'), status: 'rejected' }, bytes('model-b'), ctx);

      assert.deepEqual(v1, { ...newVersion('run-1'), version: 1, status: 'candidate', artifact: { sha256: sha256(a), bytes: a.byteLength }, createdAt: T0 });
      assert.equal(v2.version, 2);
      assert.equal(v2.status, 'rejected');
      assert.equal(v2.createdAt, T1);
      assert.deepEqual(await store.getVersion('churn', 1), v1);
      assert.deepEqual(await store.getVersion('churn', 2), v2);
      assert.deepEqual(await store.listVersions('churn'), [v1, v2]);
      const read = await store.readArtifact('churn', 1);
      assert.deepEqual(read, a);
      // Its own memory: a consumer handing `.buffer` on (to onnxruntime, a worker) sends just the model.
      assert.equal(read.buffer.byteLength, a.byteLength);
      assert.deepEqual(await store.readArtifact('churn', 2), bytes('model-b'));
    });

    test('lists models in byte order and versions in numeric order past 9', async () => {
      for (const model of ['churn_us', 'churn-eu', 'churn2', 'churn']) {
        await store.registerVersion(newVersion('run-1', model), bytes(model), ctx);
      }
      for (let i = 2; i <= 11; i++) await store.registerVersion(newVersion(`run-${i}`), bytes(`m${i}`), ctx);
      assert.deepEqual(await store.listModels(), ['churn', 'churn-eu', 'churn2', 'churn_us']);
      assert.deepEqual((await store.listVersions('churn')).map((v) => v.version), range(1, 11));
      assert.deepEqual(await store.listVersions('nobody'), []);
    });

    test('raises NotFoundError naming model and version', async () => {
      await store.registerVersion(newVersion('run-1'), bytes('x'), ctx);
      const lookups = [
        () => store.getVersion('churn', 7),
        () => store.readArtifact('churn', 7),
        () => store.updateVersion('churn', 7, { status: 'approved' }, ctx),
      ];
      for (const lookup of lookups) {
        await assert.rejects(lookup(), (error: Error) => {
          assert.ok(error instanceof NotFoundError, `${error.name}: ${error.message}`);
          assert.match(error.message, /"churn"/);
          assert.match(error.message, /version 7/);
          return true;
        });
      }
      await assert.rejects(store.getVersion('nobody', 1), NotFoundError);
    });

    test('is idempotent on (model, runId), also for concurrent retries', async () => {
      const first = await store.registerVersion(newVersion('run-1'), bytes('first'), ctx);
      const retries = await Promise.all(range(1, 5).map(() => store.registerVersion(newVersion('run-1'), bytes('first'), ctx)));
      for (const retry of retries) assert.deepEqual(retry, first);
      const racing = await Promise.all(range(1, 5).map(() => store.registerVersion(newVersion('run-2'), bytes('second'), ctx)));
      assert.deepEqual(new Set(racing.map((v) => v.version)), new Set([2]));

      assert.deepEqual((await store.listVersions('churn')).map((v) => v.runId), ['run-1', 'run-2']);
      assert.equal((await store.readAudit('churn')).filter((r) => r.action === 'register').length, 2);
      assert.deepEqual(await store.findVersionByRun('churn', 'run-1'), first);
      assert.equal(await store.findVersionByRun('churn', 'run-unknown'), null);
      // The same run id under another model is another registration.
      assert.equal((await store.registerVersion(newVersion('run-1', 'fraud'), bytes('first'), ctx)).version, 1);
    });

    test('numbers 20 concurrent registrations 1..20 without gaps or collisions', async () => {
      const registered = await Promise.all(range(1, 20).map((i) => store.registerVersion(newVersion(`run-c${i}`), bytes(`c${i}`), ctx)));
      assert.deepEqual(registered.map((v) => v.version).sort((a, b) => a - b), range(1, 20));
      const listed = await store.listVersions('churn');
      assert.deepEqual(listed.map((v) => v.version), range(1, 20));
      // Each run got its own version, and the stored record is the one returned to it.
      for (const v of registered) assert.deepEqual(listed[v.version - 1], v);
      const audit = await store.readAudit('churn');
      assert.deepEqual(audit.map((r) => r.version).sort((a, b) => a! - b!), range(1, 20));
      assert.ok(audit.every((r) => r.action === 'register'));
    });

    test('updates versions and audits every change with actor, reason, workflowId and before/after', async () => {
      await store.registerVersion(newVersion('run-1'), bytes('x'), ctx);
      clock = new Date(T1);
      const approved = await store.updateVersion('churn', 1, { status: 'approved' }, { actor: 'bob', reason: 'looks good', workflowId: 'wf-2' });
      assert.equal(approved.status, 'approved');
      const reported = await store.updateVersion('churn', 1, { reportPath: '/r/1.html', tags: { team: 'risk', region: 'us' } }, { actor: 'ratchet', reason: 'report written' });
      assert.deepEqual(await store.getVersion('churn', 1), reported);
      assert.equal(reported.status, 'approved');
      assert.equal(reported.createdAt, T0);
      // Nothing changes, nothing is recorded (objects compare by value, whatever the key order).
      const same = await store.updateVersion('churn', 1, { reportPath: '/r/1.html', tags: { team: 'risk', region: 'us' } }, ctx);
      assert.deepEqual(same, reported);
      await store.updateRouting('churn', { champion: 1 }, { actor: 'carol', reason: 'first champion', workflowId: 'wf-3' });

      const audit = await store.readAudit('churn');
      assert.deepEqual(
        audit.map((r) => [r.action, r.actor, r.reason, r.workflowId, r.version, r.at]),
        [
          ['register', 'alice', 'contract test', 'wf-1', 1, T0],
          ['status', 'bob', 'looks good', 'wf-2', 1, T1],
          ['update', 'ratchet', 'report written', undefined, 1, T1],
          ['routing', 'carol', 'first champion', 'wf-3', 1, T1],
        ],
      );
      assert.deepEqual(audit[0].details, { runId: 'run-1', status: 'candidate', artifact: reported.artifact });
      assert.deepEqual(audit[1].details, { before: { status: 'candidate' }, after: { status: 'approved' } });
      assert.deepEqual(audit[2].details, {
        before: { reportPath: null, tags: { team: 'risk', region: 'eu' } },
        after: { reportPath: '/r/1.html', tags: { team: 'risk', region: 'us' } },
      });
      assert.ok(audit.every((r) => r.model === 'churn'));
    });

    test('refuses patches to immutable version fields and unknown statuses, changing nothing', async () => {
      const v1 = await store.registerVersion(newVersion('run-1'), bytes('x'), ctx);
      const patch = { runId: 'other' } as unknown as { status: 'approved' };
      await assert.rejects(store.updateVersion('churn', 1, patch, ctx), (error: Error) => {
        assert.ok(error instanceof InvalidInputError);
        assert.match(error.message, /"runId"/);
        return true;
      });
      await assert.rejects(store.updateVersion('churn', 1, { status: 'bogus' as 'approved' }, ctx), InvalidInputError);
      await assert.rejects(store.updateVersion('churn', 1, { status: 'approved' }, { actor: ' ', reason: 'x' }), /actor/);
      assert.deepEqual(await store.getVersion('churn', 1), v1);
      assert.equal((await store.readAudit('churn')).length, 1);
    });

    describe('routing', () => {
      beforeEach(async () => {
        for (let i = 1; i <= 3; i++) await store.registerVersion(newVersion(`run-${i}`), bytes(`m${i}`), ctx);
      });

      test('starts unrouted: champion null, mode none, revision 0', async () => {
        const r = await store.getRouting('churn');
        assert.deepEqual(
          { ...r, updatedAt: undefined },
          { model: 'churn', champion: null, previous: null, candidate: null, mode: 'none', percent: 0, revision: 0, updatedAt: undefined },
        );
        assert.equal((await store.getRouting('never-registered')).revision, 0);
      });

      test('bumps the revision on every change, applies function patches to the current routing, skips no-ops', async () => {
        clock = new Date(T1);
        const r1 = await store.updateRouting('churn', { champion: 1 }, ctx);
        assert.deepEqual(r1, { model: 'churn', champion: 1, previous: null, candidate: null, mode: 'none', percent: 0, revision: 1, updatedAt: T1 });
        const r2 = await store.updateRouting('churn', (cur) => ({ champion: 2, previous: cur.champion }), ctx);
        assert.deepEqual([r2.champion, r2.previous, r2.revision], [2, 1, 2]);
        const r3 = await store.updateRouting('churn', { candidate: 3, mode: 'canary', percent: 5 }, ctx, { expectedRevision: 2 });
        assert.deepEqual([r3.candidate, r3.mode, r3.percent, r3.revision], [3, 'canary', 5, 3]);
        const same = await store.updateRouting('churn', { champion: 2, percent: 5 }, ctx);
        assert.deepEqual(same, r3);
        assert.deepEqual(await store.getRouting('churn'), r3);

        const audit = (await store.readAudit('churn')).filter((r) => r.action === 'routing');
        assert.deepEqual(audit.map((r) => [r.version, r.details?.revision]), [[1, 1], [2, 2], [2, 3]]);
        assert.deepEqual(audit[0].details?.before, { champion: null, previous: null, candidate: null, mode: 'none', percent: 0 });
        assert.deepEqual(audit[2].details?.after, { champion: 2, previous: 1, candidate: 3, mode: 'canary', percent: 5 });
      });

      test('loses no update under 20 concurrent read-modify-writes', async () => {
        const results = await Promise.all(range(1, 20).map(() => store.updateRouting('churn', (cur) => ({ percent: cur.percent + 1 }), ctx)));
        const routing = await store.getRouting('churn');
        assert.equal(routing.revision, 20);
        assert.equal(routing.percent, 20);
        assert.deepEqual(results.map((r) => r.revision).sort((a, b) => a - b), range(1, 20));
        for (const r of results) assert.equal(r.percent, r.revision);
        const audit = (await store.readAudit('churn')).filter((r) => r.action === 'routing');
        assert.deepEqual(audit.map((r) => r.details?.revision), range(1, 20));
        for (const r of audit) {
          const { before, after } = r.details as { before: { percent: number }; after: { percent: number } };
          assert.equal(after.percent, before.percent + 1);
        }
      });

      test('raises ConflictError on a stale expectedRevision and changes nothing', async () => {
        const r1 = await store.updateRouting('churn', { champion: 1 }, ctx, { expectedRevision: 0 });
        const auditBefore = await store.readAudit('churn');
        await assert.rejects(store.updateRouting('churn', { champion: 2 }, ctx, { expectedRevision: 0 }), (error: Error) => {
          assert.ok(error instanceof ConflictError);
          assert.match(error.message, /revision 1, not the expected 0/);
          return true;
        });
        // Of two writers holding revision 1, exactly one wins.
        const outcomes = await Promise.allSettled([2, 3].map((v) => store.updateRouting('churn', { champion: v }, ctx, { expectedRevision: 1 })));
        assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
        const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        assert.ok(lost.reason instanceof ConflictError);
        const after = await store.getRouting('churn');
        assert.equal(after.revision, r1.revision + 1);
        assert.equal((await store.readAudit('churn')).length, auditBefore.length + 1);
      });

      test('refuses routing to unregistered versions, inconsistent shapes and throwing patches, changing nothing', async () => {
        await assert.rejects(store.updateRouting('churn', { champion: 9 }, ctx), (error: Error) => {
          assert.ok(error instanceof NotFoundError);
          assert.match(error.message, /version 9/);
          return true;
        });
        await assert.rejects(store.updateRouting('churn', { champion: 1, mode: 'canary', percent: 5 }, ctx), /needs a candidate/);
        await assert.rejects(store.updateRouting('churn', { champion: 1, candidate: 2, mode: 'canary', percent: 150 }, ctx), /"percent"/);
        await assert.rejects(store.updateRouting('churn', { champion: 1, candidate: 1 }, ctx), /"candidate"/);
        await assert.rejects(store.updateRouting('churn', { revision: 7 } as never, ctx), /"revision"/);
        await assert.rejects(store.updateRouting('churn', { champion: 1 }, { actor: '', reason: 'x' }), /actor/);
        await assert.rejects(
          store.updateRouting('churn', () => {
            throw new Error('decided against it');
          }, ctx),
          /decided against it/,
        );
        assert.equal((await store.getRouting('churn')).revision, 0);
        assert.deepEqual((await store.readAudit('churn')).map((r) => r.action), ['register', 'register', 'register']);
      });
    });

    describe('artifacts', () => {
      test('shares one stored artifact between versions with the same bytes', async () => {
        const same = bytes('identical');
        const [v1, v2] = [await store.registerVersion(newVersion('run-1'), same, ctx), await store.registerVersion(newVersion('run-2', 'fraud'), same, ctx)];
        assert.deepEqual(v1.artifact, v2.artifact);
        await handle.corruptArtifact(v1.artifact.sha256);
        // One copy: damage shows through both versions.
        await assert.rejects(store.readArtifact('fraud', 1), ArtifactIntegrityError);
        await assert.rejects(store.readArtifact('churn', 1), ArtifactIntegrityError);
      });

      test('refuses a damaged artifact, naming the version and the hashes, and repairs it when the bytes are registered again', async () => {
        const data = bytes('0123456789abcdef');
        const v1 = await store.registerVersion(newVersion('run-1'), data, ctx);
        await handle.corruptArtifact(v1.artifact.sha256);
        await assert.rejects(store.readArtifact('churn', 1), (error: Error) => {
          assert.ok(error instanceof ArtifactIntegrityError);
          assert.match(error.message, /"churn" version 1/);
          assert.match(error.message, new RegExp(`expected 16 bytes with sha256 ${v1.artifact.sha256}`));
          return true;
        });
        await store.registerVersion(newVersion('run-2'), data, ctx);
        assert.deepEqual(await store.readArtifact('churn', 1), data);
      });
    });

    describe('names and inputs', () => {
      for (const bad of ['../etc', 'Churn', '', 'a/b', '.hidden', '-lead', 'x'.repeat(65), 'a b', "x'; DROP TABLE versions; --"]) {
        test(`refuses model name ${JSON.stringify(bad)} in every operation, storing nothing`, async () => {
          await assert.rejects(store.registerVersion(newVersion('run-1', bad), bytes('x'), ctx), InvalidNameError);
          await assert.rejects(store.getVersion(bad, 1), InvalidNameError);
          await assert.rejects(store.findVersionByRun(bad, 'run-1'), InvalidNameError);
          await assert.rejects(store.listVersions(bad), InvalidNameError);
          await assert.rejects(store.updateVersion(bad, 1, { status: 'approved' }, ctx), InvalidNameError);
          await assert.rejects(store.readArtifact(bad, 1), InvalidNameError);
          await assert.rejects(store.getRouting(bad), InvalidNameError);
          await assert.rejects(store.updateRouting(bad, { mode: 'none' }, ctx), InvalidNameError);
          await assert.rejects(store.readAudit(bad), InvalidNameError);
          assert.deepEqual(await store.listModels(), []);
        });
      }

      test('refuses non-positive or fractional versions', async () => {
        for (const v of [0, -1, 1.5, Number.NaN]) {
          await assert.rejects(store.getVersion('churn', v), InvalidNameError);
          await assert.rejects(store.readArtifact('churn', v), InvalidNameError);
        }
      });

      test('refuses versions without runId, with a bad threshold, duplicate features, an empty artifact or no actor', async () => {
        await assert.rejects(store.registerVersion(newVersion(''), bytes('x'), ctx), /runId/);
        await assert.rejects(store.registerVersion({ ...newVersion('r'), threshold: 2 }, bytes('x'), ctx), /threshold/);
        const dup = { ...newVersion('r'), features: [{ name: 'a', type: 'numeric' as const }, { name: 'a', type: 'numeric' as const }] };
        await assert.rejects(store.registerVersion(dup, bytes('x'), ctx), /features\[1\].*unique/);
        await assert.rejects(store.registerVersion(newVersion('r'), new Uint8Array(0), ctx), /artifact is empty/);
        await assert.rejects(store.registerVersion(newVersion('r'), bytes('x'), { actor: '', reason: 'x' }), /actor/);
        assert.deepEqual(await store.listModels(), []);
      });
    });

    describe('serving directory', () => {
      const worker = (id: string, at: string, extra: Partial<{ url: string; models: string[] }> = {}) => ({
        id,
        url: extra.url ?? `http://10.0.0.${id.length}:8080`,
        models: extra.models ?? ['churn'],
        at,
      });

      test('lists nothing before any worker announced', async () => {
        assert.deepEqual(await store.listServingWorkers({ seenWithinMs: 60_000 }), []);
      });

      test('upserts by id and lists by id, normalising url, models and time', async () => {
        await store.announceServingWorker(worker('w-b', T0, { url: 'http://10.0.0.2:8080/', models: ['fraud', 'churn', 'churn'] }));
        await store.announceServingWorker(worker('w-a', '2025-01-06T11:00:00+01:00'));
        assert.deepEqual(await store.listServingWorkers({ seenWithinMs: 60_000 }), [
          { id: 'w-a', url: 'http://10.0.0.3:8080', models: ['churn'], at: T0 },
          { id: 'w-b', url: 'http://10.0.0.2:8080', models: ['churn', 'fraud'], at: T0 },
        ]);
        // A second announcement replaces the first: one entry per worker, its latest url, models and time.
        clock = new Date(Date.parse(T0) + 5_000);
        await store.announceServingWorker(worker('w-b', clock.toISOString(), { url: 'http://10.0.0.9:9090', models: [] }));
        const listed = await store.listServingWorkers({ seenWithinMs: 60_000 });
        assert.deepEqual(listed.map((w) => w.id), ['w-a', 'w-b']);
        assert.deepEqual(listed[1], { id: 'w-b', url: 'http://10.0.0.9:9090', models: [], at: '2025-01-06T10:00:05.000Z' });
      });

      test('leaves out workers not seen within seenWithinMs by the store clock, and removes nothing', async () => {
        await store.announceServingWorker(worker('old', T0));
        await store.announceServingWorker(worker('new', '2025-01-06T10:00:50.000Z'));
        clock = new Date('2025-01-06T10:01:00.000Z');
        assert.deepEqual((await store.listServingWorkers({ seenWithinMs: 60_000 })).map((w) => w.id), ['new', 'old']); // exactly 60 s: still in
        assert.deepEqual((await store.listServingWorkers({ seenWithinMs: 59_999 })).map((w) => w.id), ['new']);
        clock = new Date('2025-01-06T11:00:00.000Z');
        assert.deepEqual(await store.listServingWorkers({ seenWithinMs: 60_000 }), []);
        // Stale entries are still there: an announcement brings a worker back.
        assert.deepEqual((await store.listServingWorkers({ seenWithinMs: 86_400_000 })).map((w) => w.id), ['new', 'old']);
        await store.announceServingWorker(worker('old', clock.toISOString()));
        assert.deepEqual((await store.listServingWorkers({ seenWithinMs: 60_000 })).map((w) => w.id), ['old']);
      });

      test('refuses bad ids, urls, models, times and windows, naming the field and storing nothing', async () => {
        const cases: [object, RegExp][] = [
          [worker('../etc', T0), /field "id"/],
          [worker('', T0), /field "id"/],
          [worker('a/b', T0), /field "id"/],
          [worker('w', T0, { url: 'ftp://x' }), /field "url"/],
          [worker('w', T0, { url: 'not a url' }), /field "url"/],
          [worker('w', T0, { models: ['Bad Name'] }), /field "models"/],
          [{ ...worker('w', T0), at: 'yesterday' }, /field "at"/],
        ];
        for (const [bad, message] of cases) {
          await assert.rejects(store.announceServingWorker(bad as never), (error: Error) => error instanceof InvalidInputError && message.test(error.message));
        }
        for (const seenWithinMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
          await assert.rejects(store.listServingWorkers({ seenWithinMs }), /seenWithinMs/);
        }
        assert.deepEqual(await store.listServingWorkers({ seenWithinMs: 86_400_000 }), []);
      });
    });

    describe('audit', () => {
      test('reads records in chronological order; with a limit, the most recent ones', async () => {
        await store.registerVersion(newVersion('run-1'), bytes('a'), ctx);
        await store.registerVersion(newVersion('run-2'), bytes('b'), ctx);
        for (const [i, status] of (['approved', 'champion', 'previous'] as const).entries()) {
          clock = new Date(Date.parse(T0) + (i + 1) * 60_000);
          await store.updateVersion('churn', 1, { status }, { actor: 'bob', reason: `step ${i}` });
        }
        const all = await store.readAudit('churn');
        assert.deepEqual(all.map((r) => r.reason), ['contract test', 'contract test', 'step 0', 'step 1', 'step 2']);
        assert.deepEqual(all.map((r) => r.at), [T0, T0, '2025-01-06T10:01:00.000Z', '2025-01-06T10:02:00.000Z', '2025-01-06T10:03:00.000Z']);
        assert.deepEqual((await store.readAudit('churn', { limit: 2 })).map((r) => r.reason), ['step 1', 'step 2']);
        assert.deepEqual(await store.readAudit('churn', { limit: 1 }), [all[4]]);
        assert.deepEqual(await store.readAudit('churn', { limit: 50 }), all);
        for (const limit of [0, -1, 1.5]) await assert.rejects(store.readAudit('churn', { limit }), InvalidInputError);
        assert.deepEqual(await store.readAudit('fraud'), []);
      });

      test('records events (incidents, overrides) with actor, reason and workflow, in order with the rest', async () => {
        await store.registerVersion(newVersion('run-1'), bytes('a'), ctx);
        clock = new Date(Date.parse(T0) + 60_000);
        const recorded = await store.recordEvent(
          'churn',
          { action: 'incident', version: 1, details: { from: { champion: 2 }, to: { champion: 1 }, durationMs: 812 } },
          { actor: 'oncall', reason: 'error spike', workflowId: 'rollback-churn-1' },
        );
        assert.equal(recorded.at, '2025-01-06T10:01:00.000Z');
        const audit = await store.readAudit('churn');
        assert.equal(audit.length, 2);
        assert.deepEqual(audit[1], recorded);
        assert.equal(audit[1]!.action, 'incident');
        assert.equal(audit[1]!.actor, 'oncall');
        assert.equal(audit[1]!.workflowId, 'rollback-churn-1');
        assert.deepEqual(audit[1]!.details, { from: { champion: 2 }, to: { champion: 1 }, durationMs: 812 });
        await assert.rejects(store.recordEvent('../etc', { action: 'incident' }, ctx), InvalidNameError);
      });
    });
  });
}
