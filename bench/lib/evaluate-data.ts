/**
 * The evaluation benchmark's data: a seeded synthetic credit-style table written to Parquet by
 * DuckDB, and two real models trained on it with the built-in trainer and exported to ONNX.
 *
 * Rows are generated in SQL from hash(seed, row, column) rather than in JavaScript: DuckDB writes a
 * million rows in well under a second, and the same seed gives the same file on any machine (the
 * hash of integers is fixed by the pinned DuckDB version; random() would depend on thread timing).
 *
 * Three files from one generator: `reference` (the champion's training distribution, the drift
 * reference), `holdout` (the rows being evaluated, with drift injected in a few columns) and a
 * small `train` sample for fitting the two models.
 */
import type { ColumnTable, FeatureSpec } from '../../core/types';
import { withDuckDB } from '../../data/duckdb';
import { readTable } from '../../data/read';
import { fitLogistic } from '../../trainers/logistic';
import { logisticToOnnx } from '../../trainers/onnx-export';

export const NUMERIC = Array.from({ length: 16 }, (_, j) => `x${String(j).padStart(2, '0')}`);
export const SLICE_COLUMNS = ['region', 'channel'];
export const PROTECTED_COLUMNS = ['sex', 'age_band'];
export const LABEL = 'label';
/** The 20 drift columns: every numeric feature, both slice columns and both protected attributes. */
export const DRIFT_FEATURES: FeatureSpec[] = [
  ...NUMERIC.map((name) => ({ name, type: 'numeric' as const })),
  ...[...SLICE_COLUMNS, ...PROTECTED_COLUMNS].map((name) => ({ name, type: 'categorical' as const })),
];
/** The candidate sees everything a model may use; the baseline (the "champion") half of it. */
export const CANDIDATE_FEATURES: FeatureSpec[] = [
  ...NUMERIC.map((name) => ({ name, type: 'numeric' as const })),
  ...SLICE_COLUMNS.map((name) => ({ name, type: 'categorical' as const })),
];
export const BASELINE_FEATURES: FeatureSpec[] = [
  ...NUMERIC.slice(0, 8).map((name) => ({ name, type: 'numeric' as const })),
  { name: 'region', type: 'categorical' },
];

export type Part = 'reference' | 'holdout' | 'train';

/**
 * SELECT producing `rows` rows of one part. Uniforms come from the top 53 bits of a 64-bit hash;
 * normals from Box–Muller on two of them. The label follows a logistic model with an interaction
 * and a region effect, so that neither trained model is exact and slices differ in quality.
 */
function partSql(part: Part, rows: number, seed: number): string {
  const stream = { reference: 1, holdout: 2, train: 3 }[part];
  // hash(a, b, c, d) of DuckDB combines the four hashes too weakly for this (the normals came out
  // with a range of ±1.7); hashing the row number xor a per-column key is uniform and independent.
  const u = (column: number) => `((hash(xor(hash(${seed}, ${stream}, ${column}), i::UBIGINT)) >> 11)::DOUBLE + 0.5) / 9007199254740992.0`;
  const normal = (column: number) => `sqrt(-2 * ln(${u(2 * column)})) * cos(2 * pi() * ${u(2 * column + 1)})`;
  const drifted = part === 'holdout';
  const numeric = NUMERIC.map((name, j) => {
    // Injected drift in the holdout: a mean shift, a scale change, and a small shift.
    const shift = drifted ? ({ 0: ' + 0.35', 2: ' * 1.3', 5: ' + 0.08' } as Record<number, string>)[j] ?? '' : '';
    const value = `(${normal(j)})${shift}`;
    // Two columns have missing values (about 1 %): the trainer imputes them, drift counts them.
    return j === 3 || j === 9 ? `CASE WHEN ${u(100 + j)} < 0.01 THEN NULL ELSE ${value} END AS ${name}` : `${value} AS ${name}`;
  });
  const category = (name: string, column: number, values: number, prefix: string, skew: string) =>
    `'${prefix}' || CAST(LEAST(${values - 1}, floor(${values} * pow(${u(column)}, ${skew}))) AS INTEGER) AS ${name}`;
  const channelSkew = drifted ? '0.8' : '1.0'; // holdout: the mix of channels moved
  const logit = [
    '-1.6',
    '0.9 * x00',
    '-0.7 * x01',
    '0.5 * x02',
    '0.4 * coalesce(x03, 0)',
    '0.3 * x04 * x05',
    '0.25 * x06',
    '-0.2 * x07',
    '0.15 * x08',
    '0.1 * coalesce(x09, 0)',
    '0.12 * x10',
    '0.05 * CAST(substr(region, 2) AS INTEGER)',
    '0.04 * CAST(substr(channel, 2) AS INTEGER)',
  ].join(' + ');
  return `
    WITH base AS (
      SELECT i,
        ${numeric.join(',\n        ')},
        ${category('region', 200, 10, 'r', '1.4')},
        ${category('channel', 201, 10, 'c', channelSkew)},
        CASE WHEN ${u(202)} < 0.002 THEN NULL WHEN ${u(203)} < 0.48 THEN 'F' ELSE 'M' END AS sex,
        ${category('age_band', 204, 5, 'a', '1.0')}
      FROM range(${rows}) t(i)
    )
    SELECT * EXCLUDE (i), CAST(${u(300)} < 1 / (1 + exp(-(${logit}))) AS INTEGER) AS ${LABEL}
    FROM base ORDER BY i`;
}

/** Writes one part to `path` as Parquet. */
export async function writePart(path: string, part: Part, rows: number, seed: number): Promise<void> {
  await withDuckDB(async (connection) => {
    await connection.run(`COPY (${partSql(part, rows, seed)}) TO $1 (FORMAT parquet, ROW_GROUP_SIZE 122880)`, [path]);
  });
}

export interface TrainedModels {
  candidate: { bytes: Uint8Array; features: FeatureSpec[] };
  baseline: { bytes: Uint8Array; features: FeatureSpec[] };
}

/** Fits the candidate and the baseline on the training file and exports both to ONNX. */
export async function trainModels(trainPath: string): Promise<TrainedModels> {
  const { table, labels } = await readTable(trainPath, { features: CANDIDATE_FEATURES, label: LABEL });
  const fit = (features: FeatureSpec[], name: string) => {
    const model = fitLogistic(table, labels!, features, { l2: 1 });
    return { bytes: logisticToOnnx(model, { modelName: name, producerVersion: 'bench' }), features };
  };
  return { candidate: fit(CANDIDATE_FEATURES, 'bench-candidate'), baseline: fit(BASELINE_FEATURES, 'bench-baseline') };
}

/** A table's string column, for the slice and protected inputs of the report. */
export function stringColumn(table: ColumnTable, name: string): (string | null)[] {
  const column = table.columns[name];
  if (!Array.isArray(column)) throw new Error(`column ${name} should hold strings`);
  return column;
}
