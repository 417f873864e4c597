/**
 * Writes the demo credit-risk dataset: one Parquet file per week, deterministic from its seed.
 *
 *   npx tsx examples/demo-data/generate.ts --out DIR [--seed 42] [--rows 120000] [--weeks 16]
 *                                          [--start 2026-01-05] [--drift-week 10]
 *
 * The population model (features, label, drift) lives in population.ts; this file only lays rows
 * out in time and writes them. See README.md for the schema and the injected drift.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { timestampValue, type DuckDBAppender } from '@duckdb/node-api';
import { withDuckDB, quoteIdentifier } from '../../data/duckdb';
import { publishFile, temporaryPathFor } from '../../data/files';
import { createRandom, type Random } from './prng';
import { drawApplication, drawCustomer, type Application, type Customer } from './population';

type ColumnType = 'VARCHAR' | 'TIMESTAMP' | 'DOUBLE' | 'INTEGER';
type ColumnName = keyof Application;

/** The written schema, in file order. The lead's model config names these columns. */
export const DEMO_COLUMNS: readonly { name: ColumnName; type: ColumnType }[] = [
  { name: 'application_id', type: 'VARCHAR' },
  { name: 'customer_id', type: 'VARCHAR' },
  { name: 'applied_at', type: 'TIMESTAMP' },
  { name: 'income', type: 'DOUBLE' },
  { name: 'debt_to_income', type: 'DOUBLE' },
  { name: 'credit_utilization', type: 'DOUBLE' },
  { name: 'age', type: 'INTEGER' },
  { name: 'months_employed', type: 'DOUBLE' },
  { name: 'num_late_payments', type: 'INTEGER' },
  { name: 'loan_amount', type: 'DOUBLE' },
  { name: 'num_credit_lines', type: 'INTEGER' },
  { name: 'home_ownership', type: 'VARCHAR' },
  { name: 'loan_purpose', type: 'VARCHAR' },
  { name: 'employment_type', type: 'VARCHAR' },
  { name: 'region', type: 'VARCHAR' },
  { name: 'channel', type: 'VARCHAR' },
  { name: 'age_band', type: 'VARCHAR' },
  { name: 'gender', type: 'VARCHAR' },
  { name: 'defaulted', type: 'INTEGER' },
];

export const DEMO_DEFAULTS = { seed: 42, rows: 120_000, weeks: 16, start: '2026-01-05', driftWeek: 10 } as const;

/** Share of applications that come from a customer who applied before. */
const RETURNING_CUSTOMER_RATE = 0.06;
const WEEK_MS = 7 * 24 * 3600 * 1000;

export interface DemoDataOptions {
  outDir: string;
  seed?: number;
  rows?: number;
  weeks?: number;
  /** First day of week 1, an ISO date (UTC midnight). */
  start?: string;
  /** Weeks 1..driftWeek are before the drift; weeks driftWeek+1.. after it. */
  driftWeek?: number;
  onProgress?: (progress: { week: number; weeks: number; file: string; rows: number }) => void;
}

export interface DemoDataResult {
  files: string[];
  rows: number;
  weeks: number;
  driftWeek: number;
  columns: { name: string; type: string }[];
}

export function weekFileName(week: number): string {
  return `applications-week-${String(week).padStart(2, '0')}.parquet`;
}

/** Rows per week: as even as possible, the remainder going to the first weeks. */
export function rowsPerWeek(rows: number, weeks: number): number[] {
  const base = Math.floor(rows / weeks);
  return Array.from({ length: weeks }, (_, i) => base + (i < rows % weeks ? 1 : 0));
}

function validated(options: DemoDataOptions): Required<Omit<DemoDataOptions, 'onProgress'>> {
  const seed = options.seed ?? DEMO_DEFAULTS.seed;
  const rows = options.rows ?? DEMO_DEFAULTS.rows;
  const weeks = options.weeks ?? DEMO_DEFAULTS.weeks;
  const start = options.start ?? DEMO_DEFAULTS.start;
  const driftWeek = options.driftWeek ?? Math.min(DEMO_DEFAULTS.driftWeek, weeks);
  if (!options.outDir) throw new Error('generateDemoData: outDir is required (--out DIR).');
  if (!Number.isInteger(seed)) throw new Error(`generateDemoData: seed must be an integer, got ${seed}.`);
  if (!Number.isInteger(weeks) || weeks < 1 || weeks > 99) throw new Error(`generateDemoData: weeks must be an integer in 1..99, got ${weeks}.`);
  if (!Number.isInteger(rows) || rows < weeks) throw new Error(`generateDemoData: rows must be an integer ≥ weeks (${weeks}), got ${rows}.`);
  if (!Number.isInteger(driftWeek) || driftWeek < 0 || driftWeek > weeks)
    throw new Error(`generateDemoData: driftWeek must be an integer in 0..${weeks} (weeks), got ${driftWeek}.`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(start) || Number.isNaN(Date.parse(`${start}T00:00:00Z`)))
    throw new Error(`generateDemoData: start must be an ISO date such as 2026-01-05, got ${JSON.stringify(start)}.`);
  return { outDir: path.resolve(options.outDir), seed, rows, weeks, start, driftWeek };
}

/**
 * Sorted application times (epoch ms, whole seconds) inside one week. Sorting before anything else
 * is drawn makes application ids ascend with time, as a real system would assign them.
 */
function drawWeekTimes(rng: Random, weekStartMs: number, count: number): number[] {
  const seconds = Array.from({ length: count }, () => rng.int(WEEK_MS / 1000));
  seconds.sort((a, b) => a - b);
  return seconds.map((s) => weekStartMs + s * 1000);
}

function appendRow(appender: DuckDBAppender, row: Application): void {
  for (const { name, type } of DEMO_COLUMNS) {
    const value = row[name];
    if (value === null) appender.appendNull();
    else if (type === 'VARCHAR') appender.appendVarchar(value as string);
    else if (type === 'DOUBLE') appender.appendDouble(value as number);
    else if (type === 'INTEGER') appender.appendInteger(value as number);
    else appender.appendTimestamp(timestampValue(BigInt(value as number) * 1000n));
  }
  appender.endRow();
}

/** Remove week files a previous, longer run left behind: the source glob would pick them up. */
async function removeStaleWeekFiles(outDir: string, keep: Set<string>): Promise<void> {
  for (const name of await readdir(outDir)) {
    if (/^applications-week-\d{2}\.parquet$/.test(name) && !keep.has(name)) await rm(path.join(outDir, name));
  }
}

export async function generateDemoData(options: DemoDataOptions): Promise<DemoDataResult> {
  const { outDir, seed, rows, weeks, start, driftWeek } = validated(options);
  await mkdir(outDir, { recursive: true });
  const rng = createRandom(seed);
  const startMs = Date.parse(`${start}T00:00:00Z`);
  const customers: Customer[] = [];
  const files: string[] = [];
  let applicationNumber = 0;

  // One thread: the Parquet writer then lays out every file identically on every machine.
  await withDuckDB(
    async (connection) => {
      const columnsSql = DEMO_COLUMNS.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(', ');
      const counts = rowsPerWeek(rows, weeks);
      for (let week = 1; week <= weeks; week++) {
        const afterDrift = week > driftWeek;
        await connection.run(`CREATE OR REPLACE TABLE applications (${columnsSql})`);
        const appender = await connection.createAppender('applications');
        for (const appliedAt of drawWeekTimes(rng, startMs + (week - 1) * WEEK_MS, counts[week - 1])) {
          applicationNumber++;
          const returning = customers.length > 0 && rng.bernoulli(RETURNING_CUSTOMER_RATE);
          const customer = returning
            ? customers[rng.int(customers.length)]
            : drawCustomer(rng, `cust-${String(customers.length + 1).padStart(6, '0')}`);
          if (!returning) customers.push(customer);
          const applicationId = `app-${String(applicationNumber).padStart(6, '0')}`;
          appendRow(appender, drawApplication(rng, customer, { applicationId, appliedAt }, afterDrift));
        }
        appender.closeSync();

        const file = path.join(outDir, weekFileName(week));
        const temporary = temporaryPathFor(file);
        await connection.run('COPY applications TO $1 (FORMAT parquet)', [temporary]);
        await publishFile(temporary, file);
        files.push(file);
        options.onProgress?.({ week, weeks, file, rows: counts[week - 1] });
      }
    },
    { threads: 1 },
  );
  await removeStaleWeekFiles(outDir, new Set(files.map((f) => path.basename(f))));

  return { files, rows, weeks, driftWeek, columns: DEMO_COLUMNS.map((c) => ({ name: c.name, type: c.type })) };
}

function integerOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new Error(`${flag} must be an integer, got ${JSON.stringify(value)}.`);
  return parsed;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      seed: { type: 'string' },
      rows: { type: 'string' },
      weeks: { type: 'string' },
      start: { type: 'string' },
      'drift-week': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.out) {
    console.log(
      'usage: npx tsx examples/demo-data/generate.ts --out DIR [--seed 42] [--rows 120000] [--weeks 16] [--start 2026-01-05] [--drift-week 10]',
    );
    if (!values.out && !values.help) process.exitCode = 2;
    return;
  }
  const began = performance.now();
  const result = await generateDemoData({
    outDir: values.out,
    seed: integerOption(values.seed, '--seed'),
    rows: integerOption(values.rows, '--rows'),
    weeks: integerOption(values.weeks, '--weeks'),
    start: values.start,
    driftWeek: integerOption(values['drift-week'], '--drift-week'),
    onProgress: ({ week, weeks, file, rows }) =>
      console.log(`  week ${String(week).padStart(2)}/${weeks}  ${rows.toLocaleString('en')} rows  → ${file}`),
  });
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  console.log(
    `Wrote ${result.rows.toLocaleString('en')} applications in ${result.weeks} weekly files in ${seconds}s ` +
      `(drift from week ${result.driftWeek + 1}).`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
