/** A small demo dataset and a model config pointing at it, in a temporary folder per test file. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ratchetPaths, type RatchetPaths } from '../../core/paths';
import { generateDemoData } from '../../examples/demo-data/generate';

export interface DemoWorkspace {
  dir: string;
  paths: RatchetPaths;
  dataDir: string;
  /** Writes a config for the demo data with `overrides` spliced in as YAML text; returns its path. */
  writeConfig(name: string, yamlOverrides?: string): Promise<string>;
  cleanup(): Promise<void>;
}

export const SMALL_DEMO = { rows: 24_000, weeks: 12, start: '2026-01-05', driftWeek: 8 } as const;

export async function demoWorkspace(): Promise<DemoWorkspace> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ratchet-it-'));
  const dataDir = path.join(dir, 'data');
  await generateDemoData({ outDir: dataDir, seed: 42, ...SMALL_DEMO });
  return {
    dir,
    paths: ratchetPaths(path.join(dir, 'home')),
    dataDir,
    async writeConfig(name, yamlOverrides = '') {
      const file = path.join(dir, `${name}.yaml`);
      await writeFile(file, demoConfigYaml(dataDir) + yamlOverrides);
      return file;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The demo model config, minus approval and gates (tests add their own). */
export function demoConfigYaml(dataDir: string): string {
  return `model: credit
description: test model
source: { kind: files, path: ${JSON.stringify(path.join(dataDir, '*.parquet'))} }
time_column: applied_at
id_column: application_id
entity_column: customer_id
label: defaulted
features:
  numeric: [income, debt_to_income, credit_utilization, age, months_employed, num_late_payments, loan_amount, num_credit_lines]
  categorical: [home_ownership, loan_purpose, employment_type]
segments: [region, channel]
protected: [age_band]
window: { lookback: 42d }
data_checks: { min_rows: 1000 }
trainer: { kind: builtin-logistic }
evaluation: { bootstrap: 100, seed: 3, min_slice_rows: 100 }
`;
}
