import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { quoteIdentifier, withDuckDB } from '../../data/duckdb';
import { readSchema, readTable } from '../../data/read';
import { makeTempDir, writeTable } from './data-fixtures';

const HOSTILE = 'x"; DROP TABLE t; --';

const ROWS = `SELECT * FROM (VALUES
  (1.5::DOUBLE,  10::INTEGER, true,  'red',  TIMESTAMP '2026-01-01 10:00:00', 1,    'north', 100::BIGINT),
  (NULL,         20,          false, NULL,   TIMESTAMP '2026-01-02 11:00:00', 0,    NULL,    200),
  ('NaN'::DOUBLE, NULL,       NULL,  'blue', TIMESTAMP '2026-01-03 12:00:00', NULL, 'south', NULL)
) AS t(amount, count, flag, colour, ts, label, region, "${HOSTILE.replaceAll('"', '""')}")`;

describe('readTable', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let parquet: string;
  let csv: string;

  before(async () => {
    tmp = await makeTempDir('read');
    parquet = path.join(tmp.dir, 'table.parquet');
    csv = path.join(tmp.dir, 'table.csv');
    await writeTable(parquet, ROWS);
    await writeTable(csv, ROWS);
  });
  after(() => tmp.cleanup());

  const options = {
    features: [
      { name: 'amount', type: 'numeric' as const },
      { name: 'count', type: 'numeric' as const },
      { name: 'flag', type: 'numeric' as const },
      { name: 'colour', type: 'categorical' as const },
      { name: HOSTILE, type: 'numeric' as const },
    ],
    extraColumns: ['region', 'ts', 'colour'],
    label: 'label',
  };

  for (const format of ['parquet', 'csv'] as const) {
    test(`numbers become Float64Array with NaN for NULL, categories and extras strings or null (${format})`, async () => {
      const { table, labels } = await readTable(format === 'parquet' ? parquet : csv, options);
      assert.equal(table.rowCount, 3);
      assert.deepEqual(Object.keys(table.columns), ['amount', 'count', 'flag', 'colour', HOSTILE, 'region', 'ts']);
      for (const name of ['amount', 'count', 'flag', HOSTILE]) assert.ok(table.columns[name] instanceof Float64Array, name);
      assert.deepEqual(Array.from(table.columns.amount as Float64Array), [1.5, Number.NaN, Number.NaN]);
      assert.deepEqual(Array.from(table.columns.count as Float64Array), [10, 20, Number.NaN]);
      assert.deepEqual(Array.from(table.columns.flag as Float64Array), [1, 0, Number.NaN]);
      assert.deepEqual(Array.from(table.columns[HOSTILE] as Float64Array), [100, 200, Number.NaN]);
      assert.deepEqual(table.columns.colour, ['red', null, 'blue']);
      assert.deepEqual(table.columns.region, ['north', null, 'south']);
      assert.deepEqual(table.columns.ts, ['2026-01-01 10:00:00', '2026-01-02 11:00:00', '2026-01-03 12:00:00']);
      assert.ok(labels instanceof Float64Array);
      assert.deepEqual(Array.from(labels), [1, 0, Number.NaN]);
    });
  }

  test('without a label there are no labels', async () => {
    const result = await readTable(parquet, { features: [{ name: 'amount', type: 'numeric' }] });
    assert.equal(result.labels, undefined);
    assert.deepEqual(Object.keys(result.table.columns), ['amount']);
  });

  test('reads thousands of rows across chunk boundaries in file order', async () => {
    const file = path.join(tmp.dir, 'many.parquet');
    await writeTable(file, `SELECT i::DOUBLE AS x, CASE WHEN i % 7 = 0 THEN NULL ELSE 'c' || (i % 3) END AS c FROM range(5000) AS r(i) ORDER BY i`);
    const { table } = await readTable(file, { features: [{ name: 'x', type: 'numeric' }, { name: 'c', type: 'categorical' }] });
    assert.equal(table.rowCount, 5000);
    const x = table.columns.x as Float64Array;
    const c = table.columns.c as (string | null)[];
    for (const i of [0, 2047, 2048, 4095, 4999]) {
      assert.equal(x[i], i);
      assert.equal(c[i], i % 7 === 0 ? null : `c${i % 3}`);
    }
  });

  test('a missing column names the file, the column, the columns available and the config field', async () => {
    await assert.rejects(readTable(parquet, { features: [{ name: 'income', type: 'numeric' }] }), (error: Error) => {
      assert.match(error.message, /Column "income" \(features\[0\] \(income\)\) is not in .*table\.parquet/);
      assert.match(error.message, /Columns available: amount \(DOUBLE\), count \(INTEGER\), flag \(BOOLEAN\), colour \(VARCHAR\)/);
      return true;
    });
    await assert.rejects(readTable(parquet, { features: [], label: 'defaulted' }), /Column "defaulted" \(label\) is not in/);
    await assert.rejects(readTable(parquet, { features: [], extraColumns: ['segment'] }), /Column "segment" is not in/);
  });

  test('a numeric feature on a text column, or a text label, is refused with the fix', async () => {
    await assert.rejects(
      readTable(parquet, { features: [{ name: 'colour', type: 'numeric' }] }),
      /Feature "colour" is declared numeric but column "colour" in .* has type VARCHAR\. Fix: declare it categorical/,
    );
    await assert.rejects(readTable(parquet, { features: [], label: 'region' }), /Label column "region" .* has type VARCHAR/);
  });

  test('readSchema lists names and types', async () => {
    const schema = await readSchema(parquet);
    assert.deepEqual(schema.slice(0, 5), [
      { name: 'amount', type: 'DOUBLE' },
      { name: 'count', type: 'INTEGER' },
      { name: 'flag', type: 'BOOLEAN' },
      { name: 'colour', type: 'VARCHAR' },
      { name: 'ts', type: 'TIMESTAMP' },
    ]);
    await assert.rejects(readSchema(path.join(tmp.dir, 'missing.parquet')), /No files match .*missing\.parquet/);
    await assert.rejects(readSchema(path.join(tmp.dir, 'table.json')), /Cannot tell the file format .* Set source\.format/);
  });
});

describe('quoteIdentifier', () => {
  test('doubles embedded quotes, so a hostile name stays one identifier', async () => {
    assert.equal(quoteIdentifier('income'), '"income"');
    assert.equal(quoteIdentifier('a"b'), '"a""b"');
    assert.equal(quoteIdentifier(HOSTILE), '"x""; DROP TABLE t; --"');
    await withDuckDB(async (connection) => {
      await connection.run('CREATE TABLE t (v INTEGER)');
      await connection.run('INSERT INTO t VALUES (1)');
      const reader = await connection.runAndReadAll(`SELECT v AS ${quoteIdentifier(HOSTILE)} FROM t`);
      assert.deepEqual(reader.columnNames(), [HOSTILE]);
      const still = await connection.runAndReadAll('SELECT count(*) AS n FROM t');
      assert.equal(Number(still.getRows()[0][0]), 1);
    });
  });

  test('refuses names that cannot be identifiers', () => {
    assert.throws(() => quoteIdentifier(''), /non-empty/);
    assert.throws(() => quoteIdentifier('a\u0000b'), /NUL character/);
  });
});
