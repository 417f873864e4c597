import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readTable } from '../../data/read';
import { pullSnapshot, verifySnapshot, type PullSnapshotInput } from '../../data/snapshot';
import { fileIdentity, makeTempDir, queryFile, writeTable } from './data-fixtures';

/** Eight events; the window below is [2026-01-02, 2026-01-03). */
const EVENTS = `SELECT * FROM (VALUES
  (1, TIMESTAMP '2026-01-01 23:59:59.999', 'a', 1.5, 0),
  (2, TIMESTAMP '2026-01-02 00:00:00',     'b', 2.5, 1),   -- at window.from: in
  (3, TIMESTAMP '2026-01-02 12:00:00',     'c', NULL, 0),
  (4, TIMESTAMP '2026-01-02 12:00:00',     'd', 4.5, 1),   -- same time as 3: order falls back to the other columns
  (5, TIMESTAMP '2026-01-02 23:59:59.999', 'e', 5.5, 0),   -- last millisecond: in
  (6, TIMESTAMP '2026-01-03 00:00:00',     'f', 6.5, 1),   -- at window.to: out
  (7, TIMESTAMP '2026-01-04 08:00:00',     'g', 7.5, 0),
  (8, TIMESTAMP '2025-12-31 08:00:00',     'h', 8.5, 1)
) AS t(id, ts, name, amount, label)`;
const WINDOW = { from: '2026-01-02T00:00:00Z', to: '2026-01-03T00:00:00Z' };

describe('pullSnapshot', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let input: (overrides?: Partial<PullSnapshotInput>) => PullSnapshotInput;

  before(async () => {
    tmp = await makeTempDir('pull');
    // The same events three ways: two Parquet files, the same rows shuffled into other files, and CSV.
    await writeTable(path.join(tmp.dir, 'src', 'part-1.parquet'), `${EVENTS} WHERE id <= 4`);
    await writeTable(path.join(tmp.dir, 'src', 'part-2.parquet'), `${EVENTS} WHERE id > 4`);
    await writeTable(path.join(tmp.dir, 'shuffled', 'x-1.parquet'), `${EVENTS} WHERE id % 2 = 0 ORDER BY id DESC`);
    await writeTable(path.join(tmp.dir, 'shuffled', 'x-2.parquet'), `${EVENTS} WHERE id % 2 = 1 ORDER BY name DESC`);
    await writeTable(path.join(tmp.dir, 'csv', 'events.csv'), EVENTS);
    input = (overrides = {}) => ({
      model: 'credit',
      source: { kind: 'files', path: path.join(tmp.dir, 'src', 'part-*.parquet') },
      timeColumn: 'ts',
      window: WINDOW,
      snapshotDir: path.join(tmp.dir, 'snapshots'),
      now: new Date('2026-02-01T10:00:00Z'),
      ...overrides,
    });
  });
  after(() => tmp.cleanup());

  test('keeps rows with from <= time < to, ordered by time then every column', async () => {
    const manifest = await pullSnapshot(input());
    assert.equal(manifest.rows, 4);
    assert.deepEqual(manifest.timeRange, { from: '2026-01-02T00:00:00.000Z', to: '2026-01-02T23:59:59.999Z' });
    assert.deepEqual(manifest.window, WINDOW);
    assert.equal(manifest.timeColumn, 'ts');
    assert.equal(manifest.model, 'credit');
    assert.equal(manifest.snapshotId, manifest.contentSha256.slice(0, 16));
    assert.equal(manifest.path, path.join(tmp.dir, 'snapshots', 'credit', `${manifest.snapshotId}.parquet`));
    assert.equal(manifest.createdAt, '2026-02-01T10:00:00.000Z');
    assert.match(manifest.source, /part-\*\.parquet.*2 file/);
    assert.deepEqual(
      manifest.schema.map((c) => c.name),
      ['id', 'ts', 'name', 'amount', 'label'],
    );
    const rows = await queryFile(manifest.path, 'SELECT id FROM read_parquet($file)');
    assert.deepEqual(rows.map((r) => r.id), [2, 3, 4, 5]);
    const onDisk = JSON.parse(await readFile(manifest.path.replace(/\.parquet$/, '.manifest.json'), 'utf8'));
    assert.deepEqual(onDisk, manifest);
  });

  test('is idempotent: a second pull returns the first manifest and leaves the files untouched', async () => {
    const first = await pullSnapshot(input());
    const parquet = await fileIdentity(first.path);
    const manifestFile = await fileIdentity(first.path.replace(/\.parquet$/, '.manifest.json'));
    const second = await pullSnapshot(input({ now: new Date('2026-02-08T10:00:00Z') }));
    assert.deepEqual(second, first);
    assert.equal(second.createdAt, '2026-02-01T10:00:00.000Z');
    assert.deepEqual(await fileIdentity(first.path), parquet);
    assert.deepEqual(await fileIdentity(first.path.replace(/\.parquet$/, '.manifest.json')), manifestFile);
    const names = await readdir(path.dirname(first.path));
    assert.deepEqual(names.sort(), [`${first.snapshotId}.manifest.json`, `${first.snapshotId}.parquet`]);
  });

  test('the content hash depends on the rows only, not on file layout or row order', async () => {
    const original = await pullSnapshot(input());
    const shuffled = await pullSnapshot(
      input({ source: { kind: 'files', path: path.join(tmp.dir, 'shuffled', '*.parquet') }, snapshotDir: path.join(tmp.dir, 'snapshots-2') }),
    );
    assert.equal(shuffled.contentSha256, original.contentSha256);
    assert.equal(await verifySnapshot(original), true);
    const wider = await pullSnapshot(input({ window: { from: WINDOW.from, to: '2026-01-05T00:00:00Z' } }));
    assert.notEqual(wider.contentSha256, original.contentSha256);
    assert.equal(wider.rows, 6);
  });

  test('reads CSV sources too', async () => {
    const manifest = await pullSnapshot(
      input({ source: { kind: 'files', path: path.join(tmp.dir, 'csv', 'events.csv') }, snapshotDir: path.join(tmp.dir, 'snapshots-csv') }),
    );
    assert.equal(manifest.rows, 4);
    assert.deepEqual(manifest.timeRange, { from: '2026-01-02T00:00:00.000Z', to: '2026-01-02T23:59:59.999Z' });
    const { table } = await readTable(manifest.path, { features: [{ name: 'amount', type: 'numeric' }], extraColumns: ['name'] });
    assert.deepEqual(table.columns.name, ['b', 'c', 'd', 'e']);
  });

  test('DATE and TIMESTAMPTZ time columns are compared in UTC', async () => {
    await writeTable(
      path.join(tmp.dir, 'typed', 'typed.parquet'),
      `SELECT * FROM (VALUES
         (1, DATE '2026-01-01', TIMESTAMPTZ '2026-01-02 01:00:00+02'),  -- 2026-01-01 23:00 UTC: out
         (2, DATE '2026-01-02', TIMESTAMPTZ '2026-01-02 00:30:00+00'),
         (3, DATE '2026-01-03', TIMESTAMPTZ '2026-01-03 01:00:00+02')   -- 2026-01-02 23:00 UTC: in
       ) AS t(id, d, tz)`,
    );
    const source = { kind: 'files' as const, path: path.join(tmp.dir, 'typed', 'typed.parquet') };
    const byDate = await pullSnapshot(input({ source, timeColumn: 'd', snapshotDir: path.join(tmp.dir, 'snapshots-typed') }));
    assert.equal(byDate.rows, 1);
    assert.deepEqual(byDate.timeRange, { from: '2026-01-02T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' });
    const byZone = await pullSnapshot(input({ source, timeColumn: 'tz', snapshotDir: path.join(tmp.dir, 'snapshots-typed') }));
    assert.equal(byZone.rows, 2);
    assert.deepEqual(byZone.timeRange, { from: '2026-01-02T00:30:00.000Z', to: '2026-01-02T23:00:00.000Z' });
  });

  test('an empty window gives a manifest with 0 rows, not an error', async () => {
    const manifest = await pullSnapshot(input({ window: { from: '2030-01-01T00:00:00Z', to: '2030-02-01T00:00:00Z' } }));
    assert.equal(manifest.rows, 0);
    assert.equal(manifest.timeRange, null);
    const { table } = await readTable(manifest.path, { features: [{ name: 'amount', type: 'numeric' }] });
    assert.equal(table.rowCount, 0);
  });

  test('a missing time column names the column, the columns available and the config field', async () => {
    await assert.rejects(pullSnapshot(input({ timeColumn: 'created_at' })), (error: Error) => {
      assert.match(error.message, /Column "created_at" \(time_column\) is not in .*part-\*\.parquet/);
      assert.match(error.message, /Columns available: id \(INTEGER\), ts \(TIMESTAMP\), name \(VARCHAR\), amount \(DECIMAL\(2,1\)\), label \(INTEGER\)/);
      return true;
    });
  });

  test('a time column that is not a time, missing files and a bad window are clear errors', async () => {
    await assert.rejects(pullSnapshot(input({ timeColumn: 'name' })), /Time column "name" .* has type VARCHAR; it must be a TIMESTAMP or DATE/);
    await assert.rejects(
      pullSnapshot(input({ source: { kind: 'files', path: path.join(tmp.dir, 'nowhere', '*.parquet') } })),
      /No files match .*nowhere\/\*\.parquet \(source\.path\)/,
    );
    await assert.rejects(pullSnapshot(input({ source: { kind: 'files', path: 'relative/*.parquet' } })), /must be absolute/);
    await assert.rejects(pullSnapshot(input({ window: { from: WINDOW.to, to: WINDOW.from } })), /window\.from .* must be before window\.to/);
    await assert.rejects(pullSnapshot(input({ window: { from: 'yesterday', to: WINDOW.to } })), /window\.from must be an ISO-8601 time/);
    await assert.rejects(pullSnapshot(input({ model: '../escape' })), /cannot be used as a directory name/);
  });

  test('verifySnapshot notices a file that no longer holds its rows', async () => {
    const manifest = await pullSnapshot(input({ snapshotDir: path.join(tmp.dir, 'snapshots-tamper') }));
    await writeTable(manifest.path, `${EVENTS} WHERE id BETWEEN 2 AND 4`);
    assert.equal(await verifySnapshot(manifest), false);
    await writeFile(manifest.path, 'not parquet');
    await assert.rejects(verifySnapshot(manifest));
  });
});
