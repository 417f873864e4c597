/**
 * Two processes writing one model at once: version numbers must not collide and routing
 * revisions must not lose an update. Child processes are real `node --import tsx` processes
 * running the same FsRegistryStore over the same directory.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import type { NewVersion } from '../../core/types';
import { withFileLock } from '../../registry/file-lock';
import { FsRegistryStore } from '../../registry/fs-store';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const storeModule = path.join(repoRoot, 'registry', 'fs-store.ts');
const lockModule = path.join(repoRoot, 'registry', 'file-lock.ts');
const PER_WRITER = 12;

function newVersion(runId: string): NewVersion {
  return {
    model: 'churn',
    runId,
    trainer: { kind: 'logistic', params: {} },
    features: [{ name: 'age', type: 'numeric' }],
    threshold: 0.5,
    snapshot: null,
    metrics: {},
    gates: [],
    reportPath: null,
    tags: {},
  };
}

/** The child's whole program: register PER_WRITER versions and bump the routing PER_WRITER times. */
const childProgram = `
const { FsRegistryStore } = await import(process.env.STORE_MODULE);
const store = new FsRegistryStore(process.env.REGISTRY_ROOT);
const name = process.env.WRITER;
const ctx = { actor: name, reason: 'concurrency test' };
const jobs = [];
for (let i = 0; i < ${PER_WRITER}; i++) {
  jobs.push(store.registerVersion({
    model: 'churn', runId: name + '-' + i, trainer: { kind: 'logistic', params: {} },
    features: [{ name: 'age', type: 'numeric' }], threshold: 0.5, snapshot: null,
    metrics: {}, gates: [], reportPath: null, tags: {},
  }, new TextEncoder().encode(name + i), ctx));
  jobs.push(store.updateRouting('churn', (cur) => ({ percent: cur.percent + 1 }), ctx));
}
await Promise.all(jobs);
`;

function runChild(root: string, writer: string, program = childProgram): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
      cwd: repoRoot,
      env: { ...process.env, STORE_MODULE: storeModule, LOCK_MODULE: lockModule, REGISTRY_ROOT: root, WRITER: writer },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`child ${writer} exited ${code}: ${stderr}`))));
  });
}

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-registry-conc-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

it('two processes and this one register and route the same model concurrently without collisions or lost updates', async () => {
  const store = new FsRegistryStore(root);
  const ctx = { actor: 'parent', reason: 'concurrency test' };
  // Version 1 must exist before anything routes; everything after it races.
  await store.registerVersion(newVersion('seed'), new TextEncoder().encode('seed'), ctx);
  await store.updateRouting('churn', { champion: 1 }, ctx);

  const local: Promise<unknown>[] = [];
  for (let i = 0; i < PER_WRITER; i++) {
    local.push(store.registerVersion(newVersion(`parent-${i}`), new TextEncoder().encode(`parent${i}`), ctx));
    local.push(store.updateRouting('churn', (cur) => ({ percent: cur.percent + 1 }), ctx));
  }
  await Promise.all([runChild(root, 'alpha'), runChild(root, 'beta'), ...local]);

  const versions = await store.listVersions('churn');
  const total = 1 + 3 * PER_WRITER;
  assert.deepEqual(versions.map((v) => v.version), Array.from({ length: total }, (_, i) => i + 1));
  assert.equal(new Set(versions.map((v) => v.runId)).size, total);
  for (const writer of ['alpha', 'beta', 'parent']) {
    assert.equal(versions.filter((v) => v.runId.startsWith(`${writer}-`)).length, PER_WRITER, writer);
  }

  const routing = await store.getRouting('churn');
  assert.equal(routing.percent, 3 * PER_WRITER);
  assert.equal(routing.revision, 1 + 3 * PER_WRITER);

  const audit = await store.readAudit('churn');
  assert.equal(audit.filter((r) => r.action === 'register').length, total);
  assert.equal(audit.filter((r) => r.action === 'routing').length, 1 + 3 * PER_WRITER);
  await assert.rejects(fs.stat(path.join(root, 'models', 'churn', '.lock')), /ENOENT/);
});

it('a lock held longer than staleMs by a live holder is not taken over: the holder keeps it fresh', async () => {
  const lockPath = path.join(root, 'long-hold.lock');
  const staleMs = 300;
  let released = 0;
  const holding = withFileLock(
    lockPath,
    async () => {
      // Let the child start and wait on the lock for well over staleMs.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      released = Date.now();
    },
    { staleMs },
  );
  const waiter = runChild(
    root,
    'waiter',
    `const { withFileLock } = await import(process.env.LOCK_MODULE);
     const path = process.env.REGISTRY_ROOT + '/long-hold.lock';
     await withFileLock(path, async () => { process.stdout.write(String(Date.now())); }, { staleMs: ${staleMs}, timeoutMs: 10000 });`,
  );
  const [, acquiredAt] = await Promise.all([holding, waiter]);
  assert.ok(Number(acquiredAt) >= released, `the child took the lock ${released - Number(acquiredAt)} ms before it was released`);
});
