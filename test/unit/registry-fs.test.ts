import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AuditContext, NewVersion } from '../../core/types';
import { LockTimeoutError } from '../../registry/file-lock';
import { FsRegistryStore } from '../../registry/fs-store';
import {
  ArtifactIntegrityError,
  ConflictError,
  InvalidInputError,
  InvalidNameError,
  NotFoundError,
} from '../../registry/store';

const ctx: AuditContext = { actor: 'alice', reason: 'unit test', workflowId: 'wf-1' };

function newVersion(runId: string, model = 'churn'): NewVersion {
  return {
    model,
    runId,
    trainer: { kind: 'logistic', params: { l2: 0.1 } },
    features: [
      { name: 'age', type: 'numeric' },
      { name: 'plan', type: 'categorical' },
    ],
    threshold: 0.5,
    snapshot: null,
    metrics: { auc: 0.8 },
    gates: [],
    reportPath: null,
    tags: {},
  };
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('FsRegistryStore', () => {
  let root: string;
  let store: FsRegistryStore;
  let clock: Date;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-registry-'));
    clock = new Date('2025-01-06T10:00:00.000Z');
    store = new FsRegistryStore(root, { now: () => clock });
  });

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('registers versions with consecutive numbers, content-addressed artifacts and the injected clock', async () => {
    const a = bytes('model-a');
    const v1 = await store.registerVersion(newVersion('run-1'), a, ctx);
    clock = new Date('2025-01-13T10:00:00.000Z');
    const v2 = await store.registerVersion({ ...newVersion('run-2'), status: 'rejected' }, bytes('model-b'), ctx);

    assert.equal(v1.version, 1);
    assert.equal(v1.status, 'candidate');
    assert.deepEqual(v1.artifact, { sha256: sha256(a), bytes: a.byteLength });
    assert.equal(v1.createdAt, '2025-01-06T10:00:00.000Z');
    assert.equal(v2.version, 2);
    assert.equal(v2.status, 'rejected');
    assert.equal(v2.createdAt, '2025-01-13T10:00:00.000Z');

    assert.deepEqual(await store.getVersion('churn', 1), v1);
    assert.deepEqual((await store.listVersions('churn')).map((v) => v.version), [1, 2]);
    assert.deepEqual(await store.listModels(), ['churn']);
    assert.deepEqual(await fs.readFile(path.join(root, 'artifacts', 'sha256', `${sha256(a)}.onnx`)), Buffer.from(a));
    assert.deepEqual(await store.readArtifact('churn', 1), a);
  });

  it('lists versions in numeric order past 9', async () => {
    for (let i = 1; i <= 11; i++) await store.registerVersion(newVersion(`run-${i}`), bytes(`m${i}`), ctx);
    assert.deepEqual((await store.listVersions('churn')).map((v) => v.version), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('is idempotent on runId: a retry returns the version already registered', async () => {
    const first = await store.registerVersion(newVersion('run-1'), bytes('first'), ctx);
    const retry = await store.registerVersion(newVersion('run-1'), bytes('first'), ctx);
    assert.deepEqual(retry, first);
    assert.equal((await store.listVersions('churn')).length, 1);
    assert.equal((await store.readAudit('churn')).filter((r) => r.action === 'register').length, 1);
    assert.deepEqual(await store.findVersionByRun('churn', 'run-1'), first);
    assert.equal(await store.findVersionByRun('churn', 'run-unknown'), null);
    // The same run id under another model is another registration.
    assert.equal((await store.registerVersion(newVersion('run-1', 'fraud'), bytes('first'), ctx)).version, 1);
  });

  it('shares one artifact file between versions with the same bytes', async () => {
    const same = bytes('identical');
    await store.registerVersion(newVersion('run-1'), same, ctx);
    await store.registerVersion(newVersion('run-2'), same, ctx);
    assert.deepEqual(await fs.readdir(path.join(root, 'artifacts', 'sha256')), [`${sha256(same)}.onnx`]);
  });

  it('raises NotFoundError naming model and version', async () => {
    await store.registerVersion(newVersion('run-1'), bytes('x'), ctx);
    await assert.rejects(store.getVersion('churn', 7), (error: Error) => {
      assert.ok(error instanceof NotFoundError);
      assert.match(error.message, /"churn"/);
      assert.match(error.message, /version 7/);
      return true;
    });
    await assert.rejects(store.getVersion('nobody', 1), NotFoundError);
    assert.deepEqual(await store.listVersions('nobody'), []);
  });

  describe('artifact integrity', () => {
    async function artifactFile(): Promise<string> {
      const v = await store.registerVersion(newVersion('run-1'), bytes('0123456789abcdef'), ctx);
      return path.join(root, 'artifacts', 'sha256', `${v.artifact.sha256}.onnx`);
    }

    it('refuses an artifact with a flipped byte', async () => {
      const file = await artifactFile();
      const data = await fs.readFile(file);
      data[3] ^= 0xff;
      await fs.writeFile(file, data);
      await assert.rejects(store.readArtifact('churn', 1), (error: Error) => {
        assert.ok(error instanceof ArtifactIntegrityError);
        assert.match(error.message, /version 1/);
        assert.match(error.message, /sha256/);
        return true;
      });
    });

    it('refuses a truncated artifact', async () => {
      const file = await artifactFile();
      await fs.truncate(file, 5);
      await assert.rejects(store.readArtifact('churn', 1), /expected 16 bytes .* found 5 bytes/);
      await assert.rejects(store.readArtifact('churn', 1), ArtifactIntegrityError);
    });

    it('refuses a missing artifact', async () => {
      await fs.rm(await artifactFile());
      await assert.rejects(store.readArtifact('churn', 1), ArtifactIntegrityError);
    });

    it('repairs a damaged artifact file when the same bytes are registered again', async () => {
      const file = await artifactFile();
      await fs.truncate(file, 5);
      await store.registerVersion(newVersion('run-2'), bytes('0123456789abcdef'), ctx);
      assert.deepEqual(await store.readArtifact('churn', 1), bytes('0123456789abcdef'));
    });
  });

  describe('names and inputs', () => {
    for (const bad of ['../etc', 'Churn', '', 'a/b', '.hidden', '-lead', 'x'.repeat(65), 'a b']) {
      it(`refuses model name ${JSON.stringify(bad)} before touching the filesystem`, async () => {
        await assert.rejects(store.registerVersion(newVersion('run-1', bad), bytes('x'), ctx), InvalidNameError);
        await assert.rejects(store.getRouting(bad), InvalidNameError);
        await assert.rejects(store.updateRouting(bad, { mode: 'none' }, ctx), InvalidNameError);
        await assert.rejects(store.readAudit(bad), InvalidNameError);
        await assert.rejects(store.listVersions(bad), InvalidNameError);
        assert.deepEqual(await fs.readdir(root), []);
      });
    }

    it('refuses non-positive or fractional versions', async () => {
      for (const v of [0, -1, 1.5, Number.NaN]) {
        await assert.rejects(store.getVersion('churn', v), InvalidNameError);
      }
    });

    it('refuses versions without runId, with a bad threshold, duplicate features or empty artifact', async () => {
      await assert.rejects(store.registerVersion(newVersion(''), bytes('x'), ctx), /runId/);
      await assert.rejects(store.registerVersion({ ...newVersion('r'), threshold: 2 }, bytes('x'), ctx), /threshold/);
      const dup = { ...newVersion('r'), features: [{ name: 'a', type: 'numeric' as const }, { name: 'a', type: 'numeric' as const }] };
      await assert.rejects(store.registerVersion(dup, bytes('x'), ctx), /features\[1\].*unique/);
      await assert.rejects(store.registerVersion(newVersion('r'), new Uint8Array(0), ctx), /artifact is empty/);
      await assert.rejects(store.registerVersion(newVersion('r'), bytes('x'), { actor: '', reason: 'x' }), /actor/);
      assert.deepEqual(await store.listModels(), []);
    });

    it('refuses patches to immutable version fields, naming the field', async () => {
      await store.registerVersion(newVersion('run-1'), bytes('x'), ctx);
      const patch = { runId: 'other' } as unknown as { status: 'approved' };
      await assert.rejects(store.updateVersion('churn', 1, patch, ctx), (error: Error) => {
        assert.ok(error instanceof InvalidInputError);
        assert.match(error.message, /"runId"/);
        return true;
      });
      await assert.rejects(store.updateVersion('churn', 1, { status: 'bogus' as 'approved' }, ctx), /status/);
    });
  });

  describe('routing', () => {
    beforeEach(async () => {
      for (let i = 1; i <= 3; i++) await store.registerVersion(newVersion(`run-${i}`), bytes(`m${i}`), ctx);
    });

    it('starts unrouted: champion null, mode none, revision 0', async () => {
      const r = await store.getRouting('churn');
      assert.deepEqual(
        { champion: r.champion, previous: r.previous, candidate: r.candidate, mode: r.mode, percent: r.percent, revision: r.revision },
        { champion: null, previous: null, candidate: null, mode: 'none', percent: 0, revision: 0 },
      );
    });

    it('bumps the revision on every change, applies function patches to the current routing, skips no-ops', async () => {
      const r1 = await store.updateRouting('churn', { champion: 1 }, ctx);
      assert.equal(r1.revision, 1);
      assert.equal(r1.updatedAt, clock.toISOString());
      const r2 = await store.updateRouting('churn', (cur) => ({ champion: 2, previous: cur.champion }), ctx);
      assert.deepEqual([r2.champion, r2.previous, r2.revision], [2, 1, 2]);
      const same = await store.updateRouting('churn', { champion: 2 }, ctx);
      assert.equal(same.revision, 2);
      assert.deepEqual(await store.getRouting('churn'), r2);
    });

    it('raises ConflictError on a stale expectedRevision and leaves the routing alone', async () => {
      await store.updateRouting('churn', { champion: 1 }, ctx, { expectedRevision: 0 });
      await assert.rejects(store.updateRouting('churn', { champion: 2 }, ctx, { expectedRevision: 0 }), (error: Error) => {
        assert.ok(error instanceof ConflictError);
        assert.match(error.message, /revision 1, not the expected 0/);
        return true;
      });
      assert.equal((await store.getRouting('churn')).champion, 1);
    });

    it('refuses routing to unregistered versions and inconsistent shapes', async () => {
      await assert.rejects(store.updateRouting('churn', { champion: 9 }, ctx), NotFoundError);
      await assert.rejects(store.updateRouting('churn', { champion: 1, mode: 'canary', percent: 5 }, ctx), /needs a candidate/);
      await assert.rejects(store.updateRouting('churn', { champion: 1, candidate: 2, mode: 'canary', percent: 150 }, ctx), /"percent"/);
      await assert.rejects(store.updateRouting('churn', { champion: 1, candidate: 1 }, ctx), /"candidate"/);
      await assert.rejects(store.updateRouting('churn', { revision: 7 } as never, ctx), /"revision"/);
      assert.equal((await store.getRouting('churn')).revision, 0);
    });

    it('ignores temp files a crash left behind, and keeps working', async () => {
      const r1 = await store.updateRouting('churn', { champion: 1 }, ctx);
      const dir = path.join(root, 'models', 'churn');
      // What a crash between "write temp" and "rename" leaves: half-written temp files.
      await fs.writeFile(path.join(dir, 'routing.json.tmp-4242-deadbeef'), '{"model":"churn","champ');
      await fs.writeFile(path.join(dir, 'versions', '4.json.tmp-4242-deadbeef'), '{"model":');
      // And a torn audit append.
      await fs.appendFile(path.join(dir, 'audit.jsonl'), '{"at":"2025-');

      assert.deepEqual(await store.getRouting('churn'), r1);
      assert.deepEqual((await store.listVersions('churn')).map((v) => v.version), [1, 2, 3]);
      const auditBefore = await store.readAudit('churn');

      const r2 = await store.updateRouting('churn', { champion: 2, previous: 1 }, ctx);
      assert.equal(r2.revision, 2);
      assert.equal((await store.registerVersion(newVersion('run-4'), bytes('m4'), ctx)).version, 4);
      const auditAfter = await store.readAudit('churn');
      assert.equal(auditAfter.length, auditBefore.length + 2);
      assert.deepEqual(auditAfter.slice(-2).map((r) => r.action), ['routing', 'register']);
    });
  });

  it('audits every change with actor, reason, workflowId and before/after', async () => {
    await store.registerVersion(newVersion('run-1'), bytes('x'), ctx);
    await store.updateVersion('churn', 1, { status: 'approved' }, { actor: 'bob', reason: 'looks good', workflowId: 'wf-2' });
    await store.updateVersion('churn', 1, { reportPath: '/r/1.html' }, { actor: 'ratchet', reason: 'report written' });
    await store.updateVersion('churn', 1, { reportPath: '/r/1.html' }, ctx); // no change, no record
    await store.updateRouting('churn', { champion: 1 }, { actor: 'carol', reason: 'first champion', workflowId: 'wf-3' });

    const audit = await store.readAudit('churn');
    assert.deepEqual(
      audit.map((r) => [r.action, r.actor, r.reason, r.workflowId, r.version]),
      [
        ['register', 'alice', 'unit test', 'wf-1', 1],
        ['status', 'bob', 'looks good', 'wf-2', 1],
        ['update', 'ratchet', 'report written', undefined, 1],
        ['routing', 'carol', 'first champion', 'wf-3', 1],
      ],
    );
    assert.deepEqual(audit[1].details, { before: { status: 'candidate' }, after: { status: 'approved' } });
    assert.deepEqual(audit[3].details?.before, { champion: null, previous: null, candidate: null, mode: 'none', percent: 0 });
    assert.deepEqual(audit[3].details?.after, { champion: 1, previous: null, candidate: null, mode: 'none', percent: 0 });
    assert.ok(audit.every((r) => r.model === 'churn' && r.at === clock.toISOString()));
    assert.deepEqual((await store.readAudit('churn', { limit: 2 })).map((r) => r.action), ['update', 'routing']);
  });

  describe('locking', () => {
    it('takes over a lock left by a dead process', async () => {
      const { pid } = await import('node:child_process').then(
        (cp) =>
          new Promise<{ pid: number }>((resolve) => {
            const child = cp.spawn(process.execPath, ['-e', '0']);
            child.on('exit', () => resolve({ pid: child.pid! }));
          }),
      );
      const lock = path.join(root, 'models', 'churn', '.lock');
      await fs.mkdir(path.dirname(lock), { recursive: true });
      await fs.writeFile(lock, JSON.stringify({ pid, host: os.hostname(), token: 'dead', at: 'then' }));
      const started = Date.now();
      assert.equal((await store.registerVersion(newVersion('run-1'), bytes('x'), ctx)).version, 1);
      assert.ok(Date.now() - started < 2000);
      await assert.rejects(fs.stat(lock), /ENOENT/);
    });

    it('waits for a live lock and times out with a message naming the lock file', async () => {
      const impatient = new FsRegistryStore(root, { lock: { timeoutMs: 150 } });
      const lock = path.join(root, 'models', 'churn', '.lock');
      await fs.mkdir(path.dirname(lock), { recursive: true });
      await fs.writeFile(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), token: 'alive', at: 'now' }));
      await assert.rejects(impatient.registerVersion(newVersion('run-1'), bytes('x'), ctx), (error: Error) => {
        assert.ok(error instanceof LockTimeoutError);
        assert.ok(error.message.includes(lock));
        return true;
      });
    });

    it('takes over a lock older than staleMs even when its owner looks alive', async () => {
      const quick = new FsRegistryStore(root, { lock: { staleMs: 1000, timeoutMs: 3000 } });
      const lock = path.join(root, 'models', 'churn', '.lock');
      await fs.mkdir(path.dirname(lock), { recursive: true });
      await fs.writeFile(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), token: 'hung', at: 'long ago' }));
      const old = new Date(Date.now() - 60_000);
      await fs.utimes(lock, old, old);
      assert.equal((await quick.registerVersion(newVersion('run-1'), bytes('x'), ctx)).version, 1);
    });

    it('serialises many concurrent async writers in one process', async () => {
      await store.registerVersion(newVersion('run-0'), bytes('m0'), ctx);
      await store.updateRouting('churn', { champion: 1 }, ctx);
      const registrations = Array.from({ length: 20 }, (_, i) => store.registerVersion(newVersion(`run-c${i}`), bytes(`c${i}`), ctx));
      const bumps = Array.from({ length: 20 }, () => store.updateRouting('churn', (cur) => ({ percent: cur.percent + 1 }), ctx));
      const versions = (await Promise.all(registrations)).map((v) => v.version).sort((a, b) => a - b);
      await Promise.all(bumps);
      assert.deepEqual(versions, Array.from({ length: 20 }, (_, i) => i + 2));
      const routing = await store.getRouting('churn');
      assert.equal(routing.percent, 20);
      assert.equal(routing.revision, 21);
    });
  });
});
