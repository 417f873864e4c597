/**
 * Real, tiny ONNX models for the serving tests: logistic regressions fitted by the built-in
 * trainer on a seeded synthetic table and exported to ONNX, registered in a real filesystem
 * registry in a temp dir. `direction` flips the learned relationship so two versions score the
 * same row visibly differently.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import path from 'node:path';
import type { AuditContext, ColumnTable, FeatureSpec, ModelVersion } from '../../core/types';
import { FsRegistryStore } from '../../registry/fs-store';
import { fitLogistic } from '../../trainers/logistic';
import { logisticToOnnx } from '../../trainers/onnx-export';

export const FEATURES: FeatureSpec[] = [
  { name: 'age', type: 'numeric' },
  { name: 'income', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
];

export const ctx: AuditContext = { actor: 'test', reason: 'serving test', workflowId: 'wf-serving-test' };

/** A row every test version accepts. */
export const ROW = { age: 52, income: 41_000, plan: 'pro' };

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function trainOnnx(direction: 1 | -1, seed = 7): Uint8Array {
  const n = 400;
  const rand = lcg(seed);
  const age = new Float64Array(n);
  const income = new Float64Array(n);
  const plan: (string | null)[] = [];
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    age[i] = 20 + rand() * 50;
    income[i] = 20_000 + rand() * 60_000;
    plan.push(['basic', 'pro', 'team'][Math.floor(rand() * 3)]);
    const z = direction * (0.08 * (age[i] - 45) + (plan[i] === 'pro' ? 0.8 : -0.4)) + (rand() - 0.5);
    labels[i] = z > 0 ? 1 : 0;
  }
  const table: ColumnTable = { rowCount: n, columns: { age, income, plan } };
  const model = fitLogistic(table, labels, FEATURES, { l2: 1, maxCategories: 8 });
  return logisticToOnnx(model, { modelName: 'serving-test', producerVersion: '0.0.0' });
}

export interface TestRegistry {
  root: string;
  store: FsRegistryStore;
  register(model: string, runId: string, artifact: Uint8Array, extra?: { threshold?: number; features?: FeatureSpec[] }): Promise<ModelVersion>;
  cleanup(): Promise<void>;
}

export async function testRegistry(): Promise<TestRegistry> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-serving-'));
  const store = new FsRegistryStore(root);
  return {
    root,
    store,
    register: (model, runId, artifact, extra = {}) =>
      store.registerVersion(
        {
          model,
          runId,
          status: 'approved',
          trainer: { kind: 'builtin-logistic', params: {} },
          features: extra.features ?? FEATURES,
          threshold: extra.threshold ?? 0.5,
          snapshot: null,
          metrics: {},
          gates: [],
          reportPath: null,
          tags: {},
        },
        artifact,
        ctx,
      ),
    cleanup: () => fs.rm(root, { recursive: true, force: true }),
  };
}

/**
 * A lean keep-alive JSON client on node:http. Load tests use it rather than fetch: the client
 * shares the event loop with the server under test, and undici's per-request cost would crowd out
 * the server (and the registry writes the tests make meanwhile).
 */
export function jsonClient(port: number, maxSockets = 64) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const post = (path: string, payload: unknown) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const body = JSON.stringify(payload);
      const request = http.request(
        { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => {
            try {
              resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) });
            } catch (error) {
              reject(new Error(`${response.statusCode}: not JSON: ${text.slice(0, 200)}`));
            }
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  return { post, close: () => agent.destroy() };
}
