/**
 * Names, versions and paths that come from users cannot leave the registry root, and SQL text is
 * never built from them. What must be kept:
 *   - every store method refuses a hostile model name ("../x", "%2e%2e", absolute paths, NUL,
 *     backslashes, unicode look-alikes) or version (0, -1, 1.5, NaN, "1/../x") with a message
 *     naming the value and the allowed form — and nothing is created or read outside the root;
 *   - a version record altered to point its artifact hash at "../../.." is refused without the
 *     file it names being read;
 *   - other user-named paths (snapshots, run folders, prediction logs, serving worker ids) are
 *     refused the same way;
 *   - data/ binds file paths as parameters: a file whose name is SQL is read as a file; a hostile
 *     column name is refused by name, and a real column named like SQL is quoted and works.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { ratchetPaths, runDir } from '../../core/paths';
import type { NewVersion } from '../../core/types';
import { readPredictionRows } from '../../data/prediction-log';
import { pullSnapshot } from '../../data/snapshot';
import { FsRegistryStore } from '../../registry/fs-store';
import { ArtifactIntegrityError, InvalidNameError } from '../../registry/store';
import { ctx, FEATURES, trainOnnx } from '../helpers/serving-models';

const HOSTILE_NAMES = [
  '../outside',
  '..',
  '.',
  '%2e%2e',
  '%2e%2e%2foutside',
  '..%2f..%2foutside',
  '/etc/passwd',
  'a/../../outside',
  'churn/../../outside',
  '..\\outside',
  'churn\u0000',
  '\u0000',
  'a\u0000/../outside',
  '',
  ' churn',
  'Churn',
  'café',
  'churn\u2215..', // division slash
  'a'.repeat(65),
];
const HOSTILE_VERSIONS: unknown[] = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1', '../1', '1/../../x', null];

let parent: string;
let root: string;
let store: FsRegistryStore;
let outsideBefore: string[];

const newVersion = (model: string): NewVersion => ({
  model,
  runId: 'run-1',
  status: 'approved',
  trainer: { kind: 'builtin-logistic', params: {} },
  features: FEATURES,
  threshold: 0.5,
  snapshot: null,
  metrics: {},
  gates: [],
  reportPath: null,
  tags: {},
});

/** Every file under `dir`, with its size. */
async function listing(dir: string): Promise<string[]> {
  const names = (await fs.readdir(dir, { recursive: true })).map(String).sort();
  return Promise.all(names.map(async (n) => `${n}:${(await fs.stat(path.join(dir, n))).size}`));
}

before(async () => {
  parent = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-traversal-'));
  root = path.join(parent, 'registry');
  store = new FsRegistryStore(root);
  // Files a traversal would reach: they must stay untouched and unread.
  await fs.mkdir(path.join(parent, 'outside', 'versions'), { recursive: true });
  await fs.writeFile(path.join(parent, 'outside', 'routing.json'), '{"champion": 1}');
  await fs.writeFile(path.join(parent, 'outside', 'versions', '1.json'), '{"version": 1}');
  await fs.writeFile(path.join(parent, 'outside', 'evil.onnx'), 'not yours');
  outsideBefore = await listing(path.join(parent, 'outside'));
});

after(() => fs.rm(parent, { recursive: true, force: true }));

describe('the filesystem registry store', () => {
  test('refuses every hostile model name in every method, naming it', async () => {
    const calls: [string, (model: string) => Promise<unknown>][] = [
      ['listVersions', (m) => store.listVersions(m)],
      ['getVersion', (m) => store.getVersion(m, 1)],
      ['findVersionByRun', (m) => store.findVersionByRun(m, 'run-1')],
      ['readArtifact', (m) => store.readArtifact(m, 1)],
      ['getRouting', (m) => store.getRouting(m)],
      ['updateRouting', (m) => store.updateRouting(m, { champion: 1 }, ctx)],
      ['updateVersion', (m) => store.updateVersion(m, 1, { status: 'archived' }, ctx)],
      ['readAudit', (m) => store.readAudit(m)],
      ['recordEvent', (m) => store.recordEvent(m, { action: 'incident' }, ctx)],
      ['registerVersion', (m) => store.registerVersion(newVersion(m), trainOnnx(1), ctx)],
    ];
    for (const name of HOSTILE_NAMES) {
      for (const [method, call] of calls) {
        await assert.rejects(
          call(name),
          (err: Error) => err instanceof InvalidNameError && err.message.includes(JSON.stringify(name)) && /use 1-64 characters of a-z, 0-9/.test(err.message),
          `${method}(${JSON.stringify(name)})`,
        );
      }
    }
    assert.deepEqual(await store.listModels(), []);
  });

  test('refuses hostile version numbers', async () => {
    await store.registerVersion(newVersion('churn'), trainOnnx(1), ctx);
    for (const version of HOSTILE_VERSIONS) {
      for (const call of [() => store.getVersion('churn', version as number), () => store.readArtifact('churn', version as number), () => store.updateVersion('churn', version as number, { status: 'archived' }, ctx)]) {
        await assert.rejects(call(), (err: Error) => err instanceof InvalidNameError && /versions are positive integers/.test(err.message), String(version));
      }
    }
  });

  test('a version record altered to point outside is refused without reading what it names', async () => {
    const file = path.join(root, 'models', 'churn', 'versions', '1.json');
    const record = JSON.parse(await fs.readFile(file, 'utf8'));
    const outside = await fs.readFile(path.join(parent, 'outside', 'evil.onnx'));
    for (const hash of ['../../../outside/evil', '/tmp/evil', `${'0'.repeat(63)}/`, `${'a'.repeat(64)}\u0000`]) {
      await fs.writeFile(file, JSON.stringify({ ...record, artifact: { sha256: hash, bytes: outside.length } }));
      await assert.rejects(
        store.readArtifact('churn', 1),
        (err: Error) => err instanceof ArtifactIntegrityError && /is not a sha256 \(64 hex digits\): the version record was altered/.test(err.message) && !/found \d+ bytes/.test(err.message),
        hash,
      );
    }
    await fs.writeFile(file, JSON.stringify(record));
    assert.ok((await store.readArtifact('churn', 1)).byteLength > 0, 'the intact record reads');
  });

  test('serving worker ids cannot name a path', async () => {
    for (const id of ['../x', '..', '/etc/x', 'a/b', 'a\u0000', '']) {
      await assert.rejects(store.announceServingWorker({ id, url: 'http://127.0.0.1:1', models: [], at: new Date().toISOString() }), /serving worker field "id"/, id);
    }
  });

  test('nothing was created or changed outside the root', async () => {
    assert.deepEqual((await fs.readdir(parent)).sort(), ['outside', 'registry']);
    assert.deepEqual(await listing(path.join(parent, 'outside')), outsideBefore);
  });
});

describe('other user-named paths', () => {
  test('snapshots, run folders and prediction logs refuse traversal', async () => {
    const paths = ratchetPaths(path.join(parent, 'home'));
    for (const model of ['../outside', '/abs', 'a/b', '..']) {
      await assert.rejects(
        pullSnapshot({ model, source: { kind: 'files', path: '/nonexistent/*.parquet' }, timeColumn: 't', window: { from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' }, snapshotDir: paths.snapshots, now: new Date() }),
        /cannot be used as a directory name/,
        model,
      );
      await assert.rejects(readPredictionRows({ logDir: path.join(parent, 'logs'), model, from: 0, to: Date.now() }), InvalidNameError, model);
    }
    for (const runId of ['../x', '..', 'a/b', '/abs', 'a\u0000', '']) assert.throws(() => runDir(paths, runId), /is not a safe folder name/, runId);
    assert.deepEqual((await fs.readdir(parent)).sort(), ['outside', 'registry']);
  });
});

describe('data/ and SQL', () => {
  let dir: string;
  const window = { from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' };

  before(async () => {
    dir = path.join(parent, 'data');
    await fs.mkdir(dir);
  });

  async function writeParquet(file: string, timeColumn: string): Promise<void> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(
        `COPY (SELECT TIMESTAMP '2025-01-10' + INTERVAL (i) HOUR AS "${timeColumn.replaceAll('"', '""')}", i AS x FROM range(5) t(i)) TO $file (FORMAT parquet)`,
        { file },
      );
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }

  test('a file whose name is SQL is read as a file: paths are bound parameters', async () => {
    const file = path.join(dir, `it's'); DROP TABLE pulled; SELECT ('x.parquet`);
    await writeParquet(file, 'at');
    const manifest = await pullSnapshot({ model: 'sqlname', source: { kind: 'files', path: file }, timeColumn: 'at', window, snapshotDir: path.join(parent, 'snaps'), now: new Date() });
    assert.equal(manifest.rows, 5);
  });

  test('a hostile column name is refused by name; a real column named like SQL is quoted', async () => {
    const file = path.join(dir, 'plain.parquet');
    await writeParquet(file, 'at');
    const hostile = 'at" FROM pulled; DROP TABLE pulled; --';
    await assert.rejects(
      pullSnapshot({ model: 'hostile', source: { kind: 'files', path: file }, timeColumn: hostile, window, snapshotDir: path.join(parent, 'snaps'), now: new Date() }),
      (err: Error) => err.message.includes(hostile) && /at \(TIMESTAMP\)/.test(err.message),
    );
    const odd = path.join(dir, 'odd.parquet');
    const oddColumn = 'when"; DROP TABLE pulled; --';
    await writeParquet(odd, oddColumn);
    const manifest = await pullSnapshot({ model: 'odd', source: { kind: 'files', path: odd }, timeColumn: oddColumn, window, snapshotDir: path.join(parent, 'snaps'), now: new Date() });
    assert.equal(manifest.rows, 5);
    assert.ok(manifest.schema.some((c) => c.name === oddColumn));
  });
});
