/**
 * Attributes of entities looked up in a model's source: the serving log holds only the model's
 * features and the entity id, so segment columns that are not features (region, channel) are
 * joined back from the source by the entity column. Each entity gets its latest value in the
 * source (by the time column): right for attributes of the entity, an approximation for
 * attributes of one event (a returning customer's channel is that of their latest application).
 */
import { listValue } from '@duckdb/node-api';
import { requireColumn, requireTimeColumn } from './columns';
import { quoteIdentifier, withDuckDB } from './duckdb';
import { describeColumns, openSourceScan, type DataSource } from './source';

export interface EntityLookupInput {
  source: DataSource;
  entityColumn: string;
  timeColumn: string;
  /** Columns to look up, read as text. */
  columns: string[];
  entityIds: readonly string[];
}

/** column → (entity id → value); entities not in the source are absent. */
export type EntityAttributes = Record<string, Map<string, string | null>>;

export async function lookupEntities(input: EntityLookupInput): Promise<EntityAttributes> {
  const result: EntityAttributes = Object.fromEntries(input.columns.map((c) => [c, new Map<string, string | null>()]));
  const ids = [...new Set(input.entityIds)];
  if (ids.length === 0 || input.columns.length === 0) return result;
  return withDuckDB(
    async (connection) => {
      const scan = await openSourceScan(connection, input.source);
      const schema = await describeColumns(connection, scan);
      requireColumn(schema, input.entityColumn, input.source.path, 'entity_column');
      requireTimeColumn(schema, input.timeColumn, input.source.path);
      input.columns.forEach((c) => requireColumn(schema, c, input.source.path, 'segments'));
      const entity = `CAST(${quoteIdentifier(input.entityColumn)} AS VARCHAR)`;
      const time = quoteIdentifier(input.timeColumn);
      const values = input.columns.map((c) => `arg_max(CAST(${quoteIdentifier(c)} AS VARCHAR), ${time})`);
      const reader = await connection.runAndReadAll(
        `SELECT ${entity}, ${values.join(', ')} FROM ${scan.sql} WHERE ${entity} IN (SELECT unnest(CAST($ids AS VARCHAR[]))) GROUP BY 1`,
        { ...scan.params, ids: listValue(ids) },
      );
      for (const row of reader.getRows()) {
        const id = String(row[0]);
        input.columns.forEach((c, i) => result[c]!.set(id, row[i + 1] === null ? null : String(row[i + 1])));
      }
      return result;
    },
    { threads: 1 },
  );
}
