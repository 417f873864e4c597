/**
 * Two real serving workers on one registry, announced in its serving directory, plus a pipeline
 * worker: the rig for the incident-rollback test and benchmark.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NativeConnection } from '@temporalio/worker';
import { ratchetPaths, type RatchetPaths } from '../../core/paths';
import { openTestStore, type TestStore } from './test-store';
import { promoteToChampion } from '../../registry/lifecycle';
import { freePort } from '../../workers/dev-server';
import { startServingWorker, type ServingWorker } from '../../workers/serving/main';
import { FEATURES, testRegistry, trainOnnx, type TestRegistry } from './serving-models';
import { startTestWorker, uniqueTaskQueue } from './temporal';

export interface RollbackRig {
  paths: RatchetPaths;
  store: TestStore;
  configPath: string;
  taskQueue: string;
  servers: ServingWorker[];
  close(): Promise<void>;
}

export async function rollbackRig(connection: NativeConnection, model: string, options: { pollIntervalMs?: number } = {}): Promise<RollbackRig> {
  const reg: TestRegistry = await testRegistry();
  const paths = ratchetPaths(path.join(reg.root, 'home'));
  const store = await openTestStore(paths.registry);
  for (const [i, direction] of ([1, -1] as const).entries()) {
    await store.registerVersion(
      { model, runId: `${model}-run-${i + 1}`, status: 'approved', trainer: { kind: 'test', params: {} }, features: FEATURES, threshold: 0.5, snapshot: null, metrics: {}, gates: [], reportPath: null, tags: {} },
      trainOnnx(direction, 7 + i),
      { actor: 'test', reason: 'setup' },
    );
  }
  await promoteToChampion(store, model, 1, { actor: 'test', reason: 'setup' });
  await promoteToChampion(store, model, 2, { actor: 'test', reason: 'setup' }); // v2 champion, v1 previous
  const configPath = path.join(reg.root, `${model}.yaml`);
  await writeFile(
    configPath,
    `model: ${model}
source: { kind: files, path: unused.parquet }
time_column: at
id_column: id
label: y
features: { numeric: [age, income], categorical: [plan] }
trainer: { kind: builtin-logistic }
approval: { approvers: [alice] }
promotion: { operators: [oncall] }
`,
  );
  const servers: ServingWorker[] = [];
  for (const id of ['serving-a', 'serving-b']) {
    const port = await freePort();
    servers.push(
      await startServingWorker({
        registryRoot: paths.registry,
        store,
        port,
        pollIntervalMs: options.pollIntervalMs ?? 200,
        logger: false,
        predictionLog: 'off',
        publicUrl: `http://127.0.0.1:${port}`,
        workerId: id,
      }),
    );
  }
  const taskQueue = uniqueTaskQueue(`rollback-${model}`);
  const worker = await startTestWorker(connection, taskQueue, { paths, store });
  return {
    paths,
    store,
    configPath,
    taskQueue,
    servers,
    async close() {
      await worker.stop();
      for (const s of servers) await s.close();
      await store.close();
      await reg.cleanup();
    },
  };
}
