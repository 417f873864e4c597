/**
 * Step 2: check a snapshot against the model's declared data contract, and profile accepted data
 * as the reference for the next run. Statistics come from DuckDB aggregates (one scan for the
 * counts, one small query per reference-checked column); the verdicts are in check-rules.ts.
 */
import { LIST, VARCHAR, listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { FeatureSpec, SnapshotManifest } from '../core/types';
import {
  evaluateDataChecks,
  usableRoles,
  type DataCheckOptions,
  type DataCheckReport,
  type DataStats,
  type ReferenceProfile,
} from './check-rules';
import { isNumberLike, requireColumn } from './columns';
import { withDuckDB, quoteIdentifier } from './duckdb';
import { requireSnapshotFile } from './snapshot';
import { describeColumns, openScan } from './source';

export type { DataCheck, DataCheckOptions, DataCheckReport, DataCheckVerdict, ReferenceProfile } from './check-rules';

const TABLE = 'checked';
const EXAMPLES = 5;

/** SELECT list builder: add expressions, then read the single result row by the returned index. */
class Aggregates {
  readonly expressions: string[] = [];
  add(sql: string): number {
    return this.expressions.push(sql) - 1;
  }
}

async function firstColumnStrings(connection: DuckDBConnection, sql: string, params: Record<string, DuckDBValue> = {}): Promise<string[]> {
  const reader = await connection.runAndReadAll(sql, params);
  return reader.getColumnsJS()[0]?.map(String) ?? [];
}

async function gatherStats(connection: DuckDBConnection, file: string, options: DataCheckOptions): Promise<DataStats> {
  const columns = await describeColumns(connection, { sql: TABLE });
  const roles = usableRoles(columns, options);
  const features = roles.filter((r) => r.role === 'feature');
  const label = roles.find((r) => r.role === 'label');
  const id = roles.find((r) => r.role === 'id');

  const aggregates = new Aggregates();
  const rowsAt = aggregates.add('count(*)');
  const nullsAt = features.map((f) => aggregates.add(`count(*) - count(${quoteIdentifier(f.name)})`));
  const l = label ? quoteIdentifier(label.name) : '';
  const labelAt = label && {
    labelled: aggregates.add(`count(${l})`),
    positives: aggregates.add(`count(*) FILTER (WHERE CAST(${l} AS DOUBLE) = 1)`),
    invalid: aggregates.add(`count(*) FILTER (WHERE ${l} IS NOT NULL AND CAST(${l} AS DOUBLE) NOT IN (0, 1))`),
  };
  const duplicatesAt = id && aggregates.add(`count(${quoteIdentifier(id.name)}) - count(DISTINCT ${quoteIdentifier(id.name)})`);
  const row = (await connection.runAndReadAll(`SELECT ${aggregates.expressions.join(', ')} FROM ${TABLE}`)).getRows()[0];
  const at = (index: number): number => Number(row[index]);

  const stats: DataStats = { file, columns, rows: at(rowsAt), nulls: {}, unseen: {}, outOfRange: {} };
  features.forEach((f, i) => (stats.nulls[f.name] = at(nullsAt[i])));
  if (label && labelAt) {
    stats.label = {
      labelled: at(labelAt.labelled),
      positives: at(labelAt.positives),
      invalid: at(labelAt.invalid),
      invalidExamples:
        at(labelAt.invalid) === 0
          ? []
          : await firstColumnStrings(
              connection,
              `SELECT DISTINCT CAST(${l} AS VARCHAR) FROM ${TABLE} WHERE ${l} IS NOT NULL AND CAST(${l} AS DOUBLE) NOT IN (0, 1) ORDER BY 1 LIMIT ${EXAMPLES}`,
            ),
    };
  }
  if (id && duplicatesAt !== undefined) {
    const i = quoteIdentifier(id.name);
    const duplicates = at(duplicatesAt);
    stats.ids = {
      duplicates,
      examples:
        duplicates === 0
          ? []
          : await firstColumnStrings(
              connection,
              `SELECT CAST(${i} AS VARCHAR) FROM ${TABLE} WHERE ${i} IS NOT NULL GROUP BY ${i} HAVING count(*) > 1 ORDER BY 1 LIMIT ${EXAMPLES}`,
            ),
    };
  }

  for (const feature of features) {
    const name = feature.name;
    const column = quoteIdentifier(name);
    const known = options.reference?.categories[name];
    if (feature.featureType === 'categorical' && known) {
      const reader = await connection.runAndReadAll(
        `SELECT CAST(${column} AS VARCHAR) AS value, count(*) AS n FROM ${TABLE}
         WHERE ${column} IS NOT NULL AND NOT list_contains($known, CAST(${column} AS VARCHAR))
         GROUP BY 1 ORDER BY n DESC, value`,
        { known: listValue(known) },
        { known: LIST(VARCHAR) },
      );
      const unseen = reader.getRowsJS().map(([value, n]) => ({ value: String(value), rows: Number(n) }));
      stats.unseen[name] = { rows: unseen.reduce((sum, u) => sum + u.rows, 0), examples: unseen.slice(0, EXAMPLES) };
    }
    const range = options.reference?.ranges[name];
    if (feature.featureType === 'numeric' && range) {
      const value = `CAST(${column} AS DOUBLE)`;
      const [below, above] = (
        await connection.runAndReadAll(
          `SELECT count(*) FILTER (WHERE ${value} < $min), count(*) FILTER (WHERE ${value} > $max) FROM ${TABLE}`,
          { min: range.min, max: range.max },
        )
      ).getRows()[0];
      stats.outOfRange[name] = { below: Number(below), above: Number(above) };
    }
  }
  return stats;
}

export async function checkData(manifest: SnapshotManifest, options: DataCheckOptions): Promise<DataCheckReport> {
  await requireSnapshotFile(manifest);
  return withDuckDB(async (connection) => {
    await connection.run(`CREATE TEMP TABLE ${TABLE} AS SELECT * FROM read_parquet($file)`, { file: manifest.path });
    return evaluateDataChecks(await gatherStats(connection, manifest.path, options), options);
  });
}

/**
 * Categories and min/max per feature of accepted data (Parquet or CSV, absolute path or glob):
 * the reference the next run's checks compare against.
 */
export async function profileReference(path: string, features: FeatureSpec[]): Promise<ReferenceProfile> {
  return withDuckDB(async (connection) => {
    const scan = await openScan(connection, path);
    const columns = await describeColumns(connection, scan);
    const profile: ReferenceProfile = { categories: {}, ranges: {} };
    for (const feature of features) {
      const column = requireColumn(columns, feature.name, path, `features.${feature.type}`);
      const name = quoteIdentifier(feature.name);
      if (feature.type === 'categorical') {
        profile.categories[feature.name] = await firstColumnStrings(
          connection,
          `SELECT DISTINCT CAST(${name} AS VARCHAR) FROM ${scan.sql} WHERE ${name} IS NOT NULL ORDER BY 1`,
          scan.params,
        );
      } else if (isNumberLike(column.type)) {
        const [min, max] = (
          await connection.runAndReadAll(`SELECT min(CAST(${name} AS DOUBLE)), max(CAST(${name} AS DOUBLE)) FROM ${scan.sql}`, scan.params)
        ).getRows()[0];
        // An all-NULL column has no range; leaving it out skips its range check instead of flagging every value.
        if (min !== null && max !== null) profile.ranges[feature.name] = { min: Number(min), max: Number(max) };
      } else {
        throw new Error(`Feature "${feature.name}" is declared numeric but has type ${column.type} in ${path}; declare it categorical or fix the data.`);
      }
    }
    return profile;
  });
}
