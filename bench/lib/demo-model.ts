/**
 * The benchmark's model: the demo's 11 credit-risk features (8 numeric, 3 categorical), drawn
 * from the demo population, fitted by the built-in logistic trainer and exported to ONNX with
 * its imputation, scaling and one-hot encoding in the graph — what `ratchet demo` serves.
 */
import type { ColumnTable, FeatureRow, FeatureSpec } from '../../core/types';
import { drawApplication, drawCustomer, type Application } from '../../examples/demo-data/population';
import { createRandom } from '../../examples/demo-data/prng';
import { fitLogistic } from '../../trainers/logistic';
import { logisticToOnnx } from '../../trainers/onnx-export';

export const DEMO_FEATURES: FeatureSpec[] = [
  { name: 'income', type: 'numeric' },
  { name: 'debt_to_income', type: 'numeric' },
  { name: 'credit_utilization', type: 'numeric' },
  { name: 'age', type: 'numeric' },
  { name: 'months_employed', type: 'numeric' },
  { name: 'num_late_payments', type: 'numeric' },
  { name: 'loan_amount', type: 'numeric' },
  { name: 'num_credit_lines', type: 'numeric' },
  { name: 'home_ownership', type: 'categorical' },
  { name: 'loan_purpose', type: 'categorical' },
  { name: 'employment_type', type: 'categorical' },
];

/** `n` demo applications, reproducible from `seed`. */
export function demoApplications(n: number, seed: number, afterDrift = false): Application[] {
  const rng = createRandom(seed);
  return Array.from({ length: n }, (_, i) => drawApplication(rng, drawCustomer(rng, `c${i}`), { applicationId: `a${i}`, appliedAt: 0 }, afterDrift));
}

export function featureRow(app: Application): FeatureRow {
  const row: FeatureRow = {};
  for (const f of DEMO_FEATURES) row[f.name] = app[f.name as keyof Application] as FeatureRow[string];
  return row;
}

/** A fitted, exported model; `afterDrift` trains on the drifted population (a different candidate). */
export function trainDemoOnnx(seed: number, afterDrift = false): Uint8Array {
  const apps = demoApplications(4000, seed, afterDrift);
  const table: ColumnTable = { rowCount: apps.length, columns: {} };
  for (const f of DEMO_FEATURES) {
    const values = apps.map((a) => a[f.name as keyof Application]);
    table.columns[f.name] = f.type === 'numeric' ? Float64Array.from(values, (v) => (v === null ? Number.NaN : Number(v))) : values.map((v) => (v === null ? null : String(v)));
  }
  const labels = Float64Array.from(apps, (a) => a.defaulted);
  return logisticToOnnx(fitLogistic(table, labels, DEMO_FEATURES, { l2: 1 }), { modelName: 'bench-credit', producerVersion: '0.0.0' });
}
