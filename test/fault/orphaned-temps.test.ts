/**
 * Temp files left by writers killed mid-write (core/temp-files.ts) are removed by the next writer
 * of the folder, and nothing else is. What must be kept:
 *   - a temp of a process that is gone is removed (file or folder), by the next pull, split or
 *     registry write into that folder;
 *   - a temp of a live process (a concurrent writer) is left alone, as are another host's temps,
 *     names in other formats and every published file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { removeOrphanedTemps, TEMP_OWNER, tempOwner } from '../../core/temp-files';
import { temporaryPathFor } from '../../data/files';
import { FsRegistryStore } from '../../registry/fs-store';
import { ctx, FEATURES, trainOnnx } from '../helpers/serving-models';

let dir: string;
let deadPid: number;
let live: ReturnType<typeof spawn>;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-temps-'));
  const gone = spawn(process.execPath, ['-e', '0']);
  deadPid = gone.pid!;
  await new Promise((resolve) => gone.once('exit', resolve));
  live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
});

after(async () => {
  live.kill('SIGKILL');
  await fs.rm(dir, { recursive: true, force: true });
});

const host = TEMP_OWNER.slice(0, TEMP_OWNER.lastIndexOf('+'));

test('temp names carry their writer', () => {
  const name = path.basename(temporaryPathFor('/x/abc.parquet'));
  assert.deepEqual(tempOwner(name), { host, pid: process.pid });
  assert.match(name, /-abc\.parquet$/);
  assert.equal(tempOwner('abc.parquet'), null);
  assert.equal(tempOwner('.tmp-0a1b2c3d4e5f-abc.parquet'), null, 'the old format is not ours to judge');
});

test('removes what dead writers left, keeps live writers\', other hosts\' and published files', async () => {
  const names = {
    deadFile: `.tmp-${host}+${deadPid}+0123456789ab-snap.parquet`,
    deadDir: `.tmp-${host}+${deadPid}+0123456789ac-split`,
    deadRegistry: `1.json.tmp-${host}+${deadPid}+0123456789ad`,
    liveFile: `.tmp-${host}+${live.pid}+0123456789ae-snap.parquet`,
    mine: `.tmp-${TEMP_OWNER}+0123456789af-snap.parquet`,
    otherHost: `.tmp-other-host.example+${deadPid}+0123456789b0-snap.parquet`,
    oldFormat: '.tmp-0a1b2c3d4e5f-snap.parquet',
    published: 'snap.parquet',
  };
  for (const [key, name] of Object.entries(names)) {
    if (key === 'deadDir') {
      await fs.mkdir(path.join(dir, name));
      await fs.writeFile(path.join(dir, name, 'train.parquet'), 'half');
    } else await fs.writeFile(path.join(dir, name), 'x');
  }
  const removed = await removeOrphanedTemps(dir);
  assert.deepEqual(removed.sort(), [names.deadDir, names.deadFile, names.deadRegistry].sort());
  const left = (await fs.readdir(dir)).sort();
  assert.deepEqual(left, [names.liveFile, names.mine, names.otherHost, names.oldFormat, names.published].sort());
  assert.deepEqual(await removeOrphanedTemps(path.join(dir, 'missing')), []);
});

test('the registry removes a dead writer\'s temps on its next write to the folder', async () => {
  const store = new FsRegistryStore(path.join(dir, 'registry'));
  const version = {
    model: 'churn',
    runId: 'run-1',
    status: 'approved' as const,
    trainer: { kind: 'builtin-logistic', params: {} },
    features: FEATURES,
    threshold: 0.5,
    snapshot: null,
    metrics: {},
    gates: [],
    reportPath: null,
    tags: {},
  };
  const first = await store.registerVersion(version, trainOnnx(1), ctx);
  const artifacts = path.join(dir, 'registry', 'artifacts', 'sha256');
  const versions = path.join(dir, 'registry', 'models', 'churn', 'versions');
  const torn = [
    path.join(artifacts, `${first.artifact.sha256}.onnx.tmp-${host}+${deadPid}+0123456789ab`),
    path.join(versions, `2.json.tmp-${host}+${deadPid}+0123456789ac`),
    path.join(dir, 'registry', 'models', 'churn', `routing.json.tmp-${host}+${deadPid}+0123456789ad`),
  ];
  for (const file of torn) await fs.writeFile(file, '{"half');
  await store.registerVersion({ ...version, runId: 'run-2' }, trainOnnx(-1), ctx);
  for (const file of torn) await assert.rejects(fs.stat(file), { code: 'ENOENT' }, `${path.basename(file)} was left`);
  assert.deepEqual((await store.listVersions('churn')).map((v) => v.runId), ['run-1', 'run-2']);
});
