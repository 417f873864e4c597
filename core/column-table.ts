/** Pure operations on ColumnTable, the in-memory table every stage passes around. */
import type { ColumnTable } from './types';

/** The rows `indices` of `table`, in that order. */
export function selectRows(table: ColumnTable, indices: ArrayLike<number>): ColumnTable {
  const columns: ColumnTable['columns'] = {};
  for (const [name, col] of Object.entries(table.columns)) {
    columns[name] = col instanceof Float64Array ? Float64Array.from(indices, (i) => col[i]!) : Array.from(indices, (i) => col[i] ?? null);
  }
  return { rowCount: indices.length, columns };
}
