/**
 * ratchet score: batch scoring of a Parquet or CSV file with the model the registry serves (its
 * champion) or a named version, through the same onnxruntime path as the serving worker.
 *
 * The input is copied into an in-memory DuckDB table once, so each row keeps a stable rowid: the
 * features are streamed out in chunks, scored, and the scores appended with that rowid; the output
 * is then one COPY joining input and scores by rowid in the input's order. Passthrough columns
 * keep their types (an integer id stays an integer), and no row can pair with another's score.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ModelConfig } from '../../core/config';
import { ratchetPaths } from '../../core/paths';
import type { ColumnTable, FeatureSpec, ModelVersion } from '../../core/types';
import { isNumberLike } from '../../data/columns';
import { quoteIdentifier, withDuckDB } from '../../data/duckdb';
import { publishFile, temporaryPathFor } from '../../data/files';
import { describeColumns, fileFormat, listColumns, type ColumnInfo } from '../../data/source';
import { openRegistry } from '../../registry/open';
import { ArtifactIntegrityError, NotFoundError, type RegistryStore } from '../../registry/store';
import { ModelLoadError, OnnxModel, ScoringInputError } from '../../scoring/onnx-model';
import { openDataFile } from '../data-file';
import { CliError, EXIT } from '../errors';
import { duration, StatusLine } from '../format';
import { modelsDir, resolveModelConfig } from '../model-config';
import { print } from './runs';

/** Rows per scoring call and per progress update: bounded memory, visible progress. */
export const SCORE_CHUNK_ROWS = 50_000;
const OUTPUT_COLUMNS = ['score', 'label', 'version'] as const;

export function registerScoreCommand(program: Command): void {
  program
    .command('score')
    .description('batch-score a Parquet or CSV file with the served champion (or a named version) into Parquet or CSV')
    .requiredOption('--model <name>', 'model name in the registry')
    .option('--version <n>', 'registered version to use (default: the champion the registry routes to)')
    .requiredOption('--data <file>', 'Parquet or CSV file (or glob) with the model\'s features')
    .requiredOption('--out <file>', 'output file: .parquet or .csv, by extension')
    .option('--config <file>', 'model config: write only its id_column beside the scores (default: $RATCHET_MODELS_DIR/<model>.yaml when it exists, else every input column)')
    .option('--json', 'print a JSON summary')
    .action(async (opts) => {
      const started = Date.now();
      const out = path.resolve(opts.out);
      const format = outputFormat(out);
      const dataPath = path.resolve(opts.data);
      const config = await optionalConfig(opts.model, opts.config);
      const store = openRegistry(ratchetPaths());
      const version = await chooseVersion(store, opts.model, opts.version);
      const model = await loadVersion(store, version);
      const line = new StatusLine();
      let rows: number;
      try {
        rows = await scoreFile({ model, version, dataPath, out, format, idColumn: config?.id_column, onProgress: (done, total) => line.update(`scoring ${version.model} v${version.version}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} rows`) });
      } finally {
        await model.close();
      }
      line.done(`scored ${rows.toLocaleString('en-US')} rows with ${version.model} v${version.version} in ${duration(Date.now() - started)}`);
      const summary = { model: version.model, version: version.version, rows, out, format, columns: [...(config ? [config.id_column] : ['(every input column)']), ...OUTPUT_COLUMNS], seconds: (Date.now() - started) / 1000 };
      print(opts.json, summary, () => `wrote ${out}`);
    });
}

function outputFormat(out: string): 'parquet' | 'csv' {
  try {
    return fileFormat(out);
  } catch {
    throw new CliError(`--out ${out}: end the name in .parquet or .csv to choose the format`, EXIT.usage);
  }
}

/** --config, else the models directory's file when there is one: it says which column is the id. */
async function optionalConfig(model: string, file: string | undefined): Promise<ModelConfig | null> {
  if (file) return resolveModelConfig(model, file);
  return existsSync(path.join(modelsDir(), `${model}.yaml`)) ? resolveModelConfig(model) : null;
}

async function chooseVersion(store: RegistryStore, model: string, requested: string | undefined): Promise<ModelVersion> {
  const versions = await store.listVersions(model).catch((err: Error) => {
    throw new CliError(`cannot read model "${model}" from the registry: ${err.message}`, EXIT.usage);
  });
  if (versions.length === 0) {
    const known = await store.listModels();
    throw new CliError(`no versions of model "${model}" in the registry${known.length ? `; models: ${known.join(', ')}` : ' (it is empty: train one with `ratchet retrain`)'}`, EXIT.usage);
  }
  const list = versions.map((v) => `v${v.version} (${v.status})`).join(', ');
  if (requested !== undefined) {
    const n = Number(requested);
    if (!Number.isSafeInteger(n) || n < 1) throw new CliError(`--version must be a version number such as 3, got "${requested}"`, EXIT.usage);
    try {
      return await store.getVersion(model, n);
    } catch (err) {
      if (err instanceof NotFoundError) throw new CliError(`${model} has no version ${n}; versions: ${list}`, EXIT.usage);
      throw err;
    }
  }
  const routing = await store.getRouting(model);
  if (routing.champion === null) {
    throw new CliError(`${model} has no champion yet, so nothing is served; pick a version with --version N (versions: ${list})`, EXIT.usage);
  }
  return store.getVersion(model, routing.champion);
}

async function loadVersion(store: RegistryStore, version: ModelVersion): Promise<OnnxModel> {
  const name = `${version.model} v${version.version}`;
  let bytes: Uint8Array;
  try {
    bytes = await store.readArtifact(version.model, version.version);
  } catch (err) {
    if (err instanceof ArtifactIntegrityError) {
      // The store's message names the file, the expected and found hashes, and the fix.
      throw new CliError(`${name} was not used: ${err.message}; or score another version with --version N (\`ratchet registry show ${version.model}\` lists them)`);
    }
    throw err;
  }
  try {
    return await OnnxModel.load(bytes, version.features);
  } catch (err) {
    if (err instanceof ModelLoadError) throw new CliError(`the artifact of ${name} does not load in onnxruntime: ${err.message}`);
    throw err;
  }
}

interface ScoreFileInput {
  model: OnnxModel;
  version: ModelVersion;
  dataPath: string;
  out: string;
  format: 'parquet' | 'csv';
  /** Written beside the scores; without it, every input column is. */
  idColumn?: string;
  onProgress?: (scored: number, total: number) => void;
}

export async function scoreFile(input: ScoreFileInput): Promise<number> {
  const { model, version } = input;
  return withDuckDB(async (connection) => {
    const scan = await openDataFile(connection, input.dataPath);
    const schema = await describeColumns(connection, scan);
    checkFeatures(schema, version.features, input.dataPath);
    const passthrough = passthroughColumns(schema, input.idColumn, input.dataPath);

    const needed = [...new Set([...passthrough, ...version.features.map((f) => f.name)])];
    await connection.run(`CREATE TABLE input AS SELECT ${needed.map(quoteIdentifier).join(', ')} FROM ${scan.sql}`, scan.params);
    await connection.run('CREATE TABLE scores (rid BIGINT, score DOUBLE, label INTEGER, version INTEGER)');
    const total = Number((await connection.runAndReadAll('SELECT count(*) AS n FROM input')).getRowObjectsJS()[0]!.n);
    input.onProgress?.(0, total);

    let scored = 0;
    for await (const batch of featureBatches(connection, version.features)) {
      const scores = await scoreBatch(model, batch.table, scored);
      const appender = await connection.createAppender('scores');
      for (let i = 0; i < batch.table.rowCount; i++) {
        appender.appendBigInt(batch.rowids[i]!);
        appender.appendDouble(scores[i]!);
        appender.appendInteger(scores[i]! >= version.threshold ? 1 : 0);
        appender.appendInteger(version.version);
        appender.endRow();
      }
      appender.closeSync();
      scored += batch.table.rowCount;
      input.onProgress?.(scored, total);
    }

    const temporary = temporaryPathFor(input.out);
    const columns = [...passthrough.map((c) => `i.${quoteIdentifier(c)}`), 's.score', 's.label', 's.version'].join(', ');
    const options = input.format === 'parquet' ? '(FORMAT parquet)' : '(FORMAT csv, HEADER true)';
    try {
      await connection.run(`COPY (SELECT ${columns} FROM input i JOIN scores s ON i.rowid = s.rid ORDER BY s.rid) TO $file ${options}`, { file: temporary });
      await publishFile(temporary, input.out);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
    return scored;
  });
}

function checkFeatures(schema: ColumnInfo[], features: FeatureSpec[], file: string): void {
  const missing = features.filter((f) => !schema.some((c) => c.name === f.name)).map((f) => f.name);
  if (missing.length) {
    throw new CliError(`${file} lacks the model's feature${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; it has ${listColumns(schema)}`, EXIT.usage);
  }
  for (const f of features.filter((x) => x.type === 'numeric')) {
    const column = schema.find((c) => c.name === f.name)!;
    if (!isNumberLike(column.type)) throw new CliError(`feature "${f.name}" is numeric in the model but has type ${column.type} in ${file}`, EXIT.usage);
  }
}

function passthroughColumns(schema: ColumnInfo[], idColumn: string | undefined, file: string): string[] {
  if (idColumn !== undefined) {
    if (!schema.some((c) => c.name === idColumn)) throw new CliError(`${file} lacks the id column "${idColumn}" (id_column of the model config); it has ${listColumns(schema)}`, EXIT.usage);
    return [idColumn];
  }
  const clash = schema.filter((c) => (OUTPUT_COLUMNS as readonly string[]).includes(c.name)).map((c) => c.name);
  if (clash.length) {
    throw new CliError(
      `${file} already has column${clash.length > 1 ? 's' : ''} ${clash.join(', ')}, which the output adds; pass --config FILE so only the id column is copied beside the scores`,
      EXIT.usage,
    );
  }
  return schema.map((c) => c.name);
}

/** The model's features, SCORE_CHUNK_ROWS rows at a time, typed as the scorer expects, with each row's rowid. */
async function* featureBatches(connection: DuckDBConnection, features: FeatureSpec[]): AsyncGenerator<{ table: ColumnTable; rowids: bigint[] }> {
  const casts = features.map((f) => `CAST(${quoteIdentifier(f.name)} AS ${f.type === 'numeric' ? 'DOUBLE' : 'VARCHAR'})`);
  const result = await connection.run(`SELECT rowid, ${casts.join(', ')} FROM input`);
  let batch = newBatch(features);
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const ids = chunk.getColumnVector(0);
    const vectors = features.map((_, c) => chunk.getColumnVector(c + 1));
    for (let i = 0; i < chunk.rowCount; i++) {
      batch.rowids.push(ids.getItem(i) as bigint);
      features.forEach((f, c) => {
        const value = vectors[c]!.getItem(i) as number | string | null;
        batch.values[c]!.push(f.type === 'numeric' ? (value === null ? Number.NaN : (value as number)) : (value as string | null));
      });
      if (batch.rowids.length === SCORE_CHUNK_ROWS) {
        yield toTable(batch, features);
        batch = newBatch(features);
      }
    }
  }
  if (batch.rowids.length > 0) yield toTable(batch, features);
}

function newBatch(features: FeatureSpec[]) {
  return { rowids: [] as bigint[], values: features.map(() => [] as (number | string | null)[]) };
}

function toTable(batch: ReturnType<typeof newBatch>, features: FeatureSpec[]): { table: ColumnTable; rowids: bigint[] } {
  const table: ColumnTable = { rowCount: batch.rowids.length, columns: {} };
  features.forEach((f, c) => {
    table.columns[f.name] = f.type === 'numeric' ? Float64Array.from(batch.values[c] as number[]) : (batch.values[c] as (string | null)[]);
  });
  return { table, rowids: batch.rowids };
}

async function scoreBatch(model: OnnxModel, table: ColumnTable, offset: number): Promise<Float64Array> {
  try {
    return await model.scoreTable(table);
  } catch (err) {
    if (err instanceof ScoringInputError) {
      throw new CliError(`row ${offset + (err.row ?? 0) + 1} of the input cannot be scored: ${err.message}`, EXIT.usage);
    }
    throw err;
  }
}
