/**
 * Turns Ratchet data (a ColumnTable or FeatureRow objects) into the flat arrays an ONNX input
 * takes. Pure: no onnxruntime here, so the conversion rules are testable on their own.
 *
 * Conversion rules (the contract every caller relies on):
 * - numeric feature: a number passes as is (NaN included); null → NaN, which the model's own
 *   imputer replaces; true/false → 1/0. Strings are refused.
 * - categorical feature: a string passes as is; null → "" — the empty string is never a trained
 *   category, so it one-hot encodes to all zeros like any unseen category. Numbers and booleans
 *   are refused.
 * - a FeatureRow must carry every feature as a key (null for missing): an absent key is far more
 *   often a misspelt field than a deliberate missing value.
 * - an int64 model input cannot represent a missing value or a fraction: such values are refused.
 */
import type { ColumnTable, FeatureRow, FeatureSpec } from '../core/types';
import { ScoringInputError } from './errors';
import type { InputPlan, NumericTensorType } from './model-signature';

export type NumericReader = (row: number) => number;
export type CategoricalReader = (row: number) => string;

/** Random access to converted feature values, whatever the data arrived as. */
export interface FeatureSource {
  readonly rowCount: number;
  numeric(feature: string): NumericReader;
  categorical(feature: string): CategoricalReader;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (value === undefined) return 'nothing';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function wrongType(feature: string, row: number, expected: string, value: unknown): ScoringInputError {
  return new ScoringInputError(`feature "${feature}" row ${row}: expected ${expected}, got ${describe(value)}`, feature, row);
}

export function tableSource(table: ColumnTable): FeatureSource {
  const column = (feature: string) => {
    const col = table.columns[feature];
    if (col === undefined) {
      throw new ScoringInputError(`the table has no column "${feature}" (columns: ${Object.keys(table.columns).join(', ') || 'none'})`, feature, null);
    }
    if (col.length !== table.rowCount) {
      throw new ScoringInputError(`column "${feature}" has ${col.length} values but the table has ${table.rowCount} rows`, feature, null);
    }
    return col;
  };
  return {
    rowCount: table.rowCount,
    numeric(feature) {
      const col = column(feature);
      if (!(col instanceof Float64Array)) {
        const sample = col.find((v) => v !== null);
        throw new ScoringInputError(
          `feature "${feature}" is numeric but its column holds ${sample === undefined ? 'only nulls' : describe(sample)} values; ` +
            `numeric columns must be Float64Array with NaN for missing`,
          feature,
          null,
        );
      }
      return (row) => col[row]!;
    },
    categorical(feature) {
      const col = column(feature);
      if (col instanceof Float64Array) {
        throw new ScoringInputError(`feature "${feature}" is categorical but its column holds numbers; cast it to text`, feature, null);
      }
      return (row) => {
        const value = col[row];
        if (typeof value === 'string') return value;
        if (value === null) return '';
        throw wrongType(feature, row, 'a string or null', value);
      };
    },
  };
}

export function rowsSource(rows: readonly FeatureRow[]): FeatureSource {
  const valueAt = (feature: string, row: number): unknown => {
    const record = rows[row];
    if (record === null || typeof record !== 'object') {
      throw new ScoringInputError(`row ${row} is ${describe(record)}, not an object of feature values`, feature, row);
    }
    const value = record[feature];
    if (value === undefined) {
      throw new ScoringInputError(`row ${row} has no value for feature "${feature}" (send null for a missing value)`, feature, row);
    }
    return value;
  };
  return {
    rowCount: rows.length,
    numeric(feature) {
      return (row) => {
        const value = valueAt(feature, row);
        if (typeof value === 'number') return value;
        if (value === null) return Number.NaN;
        if (typeof value === 'boolean') return value ? 1 : 0;
        throw wrongType(feature, row, 'a number, boolean or null', value);
      };
    },
    categorical(feature) {
      return (row) => {
        const value = valueAt(feature, row);
        if (typeof value === 'string') return value;
        if (value === null) return '';
        throw wrongType(feature, row, 'a string or null', value);
      };
    },
  };
}

/** The data of one model input for rows [start, end). */
export interface InputData {
  name: string;
  type: NumericTensorType | 'string';
  data: Float32Array | Float64Array | BigInt64Array | string[];
  dims: readonly number[];
}

function fillNumeric(
  type: NumericTensorType,
  read: NumericReader,
  feature: string,
  input: string,
  start: number,
  end: number,
): Float32Array | Float64Array | BigInt64Array {
  const n = end - start;
  if (type === 'int64') {
    const out = new BigInt64Array(n);
    for (let j = 0; j < n; j++) {
      const value = read(start + j);
      if (!Number.isSafeInteger(value)) {
        throw new ScoringInputError(
          `feature "${feature}" row ${start + j}: the model's input "${input}" is int64 and cannot take ${Number.isNaN(value) ? 'a missing value' : value}`,
          feature,
          start + j,
        );
      }
      out[j] = BigInt(value);
    }
    return out;
  }
  const out = type === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = read(start + j);
  return out;
}

/**
 * Builds every model input for rows [start, end). `dimsFor(n)` caches shape arrays so a serving
 * call with one row allocates only the value buffers.
 */
export function buildInputs(plan: InputPlan, source: FeatureSource, start: number, end: number, dimsFor: (n: number, columns: number) => readonly number[]): InputData[] {
  const n = end - start;
  if (plan.kind === 'matrix') {
    const columns = plan.features.length;
    const out = plan.tensorType === 'float32' ? new Float32Array(n * columns) : new Float64Array(n * columns);
    plan.features.forEach((feature, c) => {
      const read = source.numeric(feature.name);
      for (let j = 0; j < n; j++) out[j * columns + c] = read(start + j);
    });
    return [{ name: plan.input, type: plan.tensorType, data: out, dims: dimsFor(n, columns) }];
  }
  return plan.inputs.map(({ input, feature, tensorType }) => {
    if (tensorType === 'string') {
      const read = source.categorical(feature.name);
      const out = new Array<string>(n);
      for (let j = 0; j < n; j++) out[j] = read(start + j);
      return { name: input, type: tensorType, data: out, dims: dimsFor(n, 1) };
    }
    const data = fillNumeric(tensorType, source.numeric(feature.name), feature.name, input, start, end);
    return { name: input, type: tensorType, data, dims: dimsFor(n, 1) };
  });
}

/**
 * Row objects as a ColumnTable over `features`, converted exactly as rowsSource converts them
 * (numbers, booleans as 0/1, null as NaN; strings, null kept as null), so that scoring the table
 * gives the rows' scores. Columns are compact (typed arrays for numbers), cheap to hand to another
 * thread. Throws ScoringInputError at the first value of the wrong type.
 */
export function rowsToTable(rows: readonly FeatureRow[], features: readonly FeatureSpec[]): ColumnTable {
  const source = rowsSource(rows);
  const table: ColumnTable = { rowCount: rows.length, columns: {} };
  for (const feature of features) {
    if (feature.type === 'numeric') {
      const read = source.numeric(feature.name);
      const column = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) column[i] = read(i);
      table.columns[feature.name] = column;
    } else {
      const read = source.categorical(feature.name);
      // rowsSource reads null as "" for the model; the table keeps null, which tableSource reads as "" again.
      table.columns[feature.name] = Array.from({ length: rows.length }, (_, i) => (rows[i]![feature.name] === null ? null : read(i)));
    }
  }
  return table;
}
