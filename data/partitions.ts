/**
 * A model's source cut into calendar partitions of its time column (DuckDB date_trunc: ISO weeks
 * starting Monday, or calendar months, in UTC), one Parquet file per partition: what a back-test
 * evaluates each registered version on.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { requireTimeColumn } from './columns';
import { quoteIdentifier, withDuckDB } from './duckdb';
import { describeColumns, openSourceScan, type DataSource } from './source';

export const PARTITION_UNITS = ['week', 'month'] as const;
export type PartitionUnit = (typeof PARTITION_UNITS)[number];

export interface TimePartition {
  /** ISO-8601 start (inclusive) and end (exclusive) of the partition. */
  start: string;
  end: string;
  rows: number;
  path: string;
}

export interface PartitionInput {
  source: DataSource;
  timeColumn: string;
  by: PartitionUnit;
  /** An existing or new directory for the partition files (the caller removes it). */
  outDir: string;
}

const PARTITION = '__ratchet_partition';

export async function writeTimePartitions(input: PartitionInput): Promise<TimePartition[]> {
  if (!PARTITION_UNITS.includes(input.by)) throw new Error(`partition unit "${input.by}" is not supported; use ${PARTITION_UNITS.join(' or ')}`);
  await mkdir(input.outDir, { recursive: true });
  return withDuckDB(async (connection) => {
    const scan = await openSourceScan(connection, input.source);
    requireTimeColumn(await describeColumns(connection, scan), input.timeColumn, input.source.path);
    // The unit is one of two literals checked above: date_trunc takes its part as text, not a parameter.
    const start = `date_trunc('${input.by}', CAST(${quoteIdentifier(input.timeColumn)} AS TIMESTAMP))`;
    await connection.run(`CREATE TEMP TABLE parts AS SELECT *, ${start} AS ${PARTITION} FROM ${scan.sql}`, scan.params);
    const groups = (
      await connection.runAndReadAll(
        `SELECT epoch_ms(${PARTITION}), epoch_ms(${PARTITION} + INTERVAL 1 ${input.by}), count(*) FROM parts WHERE ${PARTITION} IS NOT NULL GROUP BY 1, 2 ORDER BY 1`,
      )
    ).getRows();
    const partitions: TimePartition[] = [];
    for (const [startMs, endMs, rows] of groups) {
      const from = new Date(Number(startMs)).toISOString();
      const file = path.join(input.outDir, `${input.by}-${from.slice(0, 10)}.parquet`);
      await connection.run(`COPY (SELECT * EXCLUDE (${PARTITION}) FROM parts WHERE epoch_ms(${PARTITION}) = $start) TO $file (FORMAT parquet)`, {
        start: Number(startMs),
        file,
      });
      partitions.push({ start: from, end: new Date(Number(endMs)).toISOString(), rows: Number(rows), path: file });
    }
    return partitions;
  });
}
