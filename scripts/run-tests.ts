/**
 * `npm test`: makes sure the tools exist (Temporal CLI and test server, the Python reference
 * libraries), regenerates the reference fixtures from scikit-learn/SciPy/Fairlearn, starts one
 * real Temporal dev server shared by the integration tests, runs every test file with node's
 * test runner, and stops the server. `npm test -- registry serving` runs files matching words.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startDevServer } from '../workers/dev-server';
import { ensureTestPostgres } from './test-postgres';
import { ensureTool, TEMPORAL_CLI, TEMPORAL_TEST_SERVER } from '../workers/temporal-tools';

const root = path.resolve(import.meta.dirname, '..');
process.chdir(root);
const filters = process.argv.slice(2);

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return testFiles(full);
    return name.endsWith('.test.ts') ? [path.relative(root, full)] : [];
  });
}

function ensurePython(): void {
  const probe = spawnSync('python3', ['-c', 'import sklearn, scipy, fairlearn, skl2onnx, pyarrow'], { stdio: 'ignore' });
  if (probe.status === 0) return;
  console.error('installing the Python reference libraries (requirements.txt)...');
  const pip = spawnSync('python3', ['-m', 'pip', 'install', '--quiet', '-r', 'requirements.txt'], { stdio: 'inherit' });
  if (pip.status !== 0) throw new Error('pip install -r requirements.txt failed; install Python 3.11+ with pip and retry');
}

/** Fixtures are recomputed by the reference libraries on every run, so the tests compare against them, not against a stale copy. */
function regenerateFixtures(): void {
  const dir = path.join(root, 'scripts', 'fixtures');
  for (const script of readdirSync(dir).filter((f) => f.endsWith('.py')).sort()) {
    const started = Date.now();
    // A fixed hash seed: skl2onnx names graph nodes in set order, so the committed ONNX fixtures
    // would otherwise change bytes (not meaning) from one run to the next.
    const env = { ...process.env, PYTHONHASHSEED: '0' };
    const result = spawnSync('python3', [path.join(dir, script)], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (result.status !== 0) throw new Error(`fixture script ${script} failed`);
    console.error(`fixtures: ${script} (${Date.now() - started} ms)`);
  }
}

/** Integration tests whose registry comes from test/helpers/test-store.ts: run once per store. */
const STORE_SUITE = ['retrain-workflow.test.ts', 'promotion-workflow.test.ts', 'rollback-e2e.test.ts'];

const files = testFiles('test')
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(2);
}

ensurePython();
process.env.RATCHET_TEMPORAL_CLI ??= ensureTool(TEMPORAL_CLI);
process.env.RATCHET_TEMPORAL_TEST_SERVER ??= ensureTool(TEMPORAL_TEST_SERVER);
regenerateFixtures();

// One PostgreSQL for every store test (the integration suite runs once per store).
const postgresUrl = await ensureTestPostgres();
if (postgresUrl) process.env.RATCHET_TEST_POSTGRES_URL = postgresUrl;
else console.error('no PostgreSQL on this machine: PostgreSQL store tests will be skipped (.ci/install-postgres.sh installs it)');

const needsServer = files.some((f) => f.startsWith('test/integration/') || f.startsWith('test/e2e/') || f.startsWith('test/fault/'));
const server = needsServer ? await startDevServer({ ui: false, port: undefined }) : null;
if (server) console.error(`Temporal dev server for tests at ${server.address}`);

function runNode(testFiles: string[], extraEnv: Record<string, string>): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', ...testFiles], {
    stdio: 'inherit',
    env: { ...process.env, RATCHET_TEST_TEMPORAL_ADDRESS: server?.address ?? '', ...extraEnv },
  });
  return new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
}

let code = await runNode(files, {});
// The workflow integration tests once more with the registry on PostgreSQL (issue: one suite, both stores).
const perStore = files.filter((f) => STORE_SUITE.some((name) => f.endsWith(name)));
if (postgresUrl && perStore.length > 0) {
  console.error(`\nthe workflow integration tests again with the PostgreSQL registry store: ${perStore.join(' ')}`);
  code = (await runNode(perStore, { RATCHET_TEST_STORE: 'postgres' })) || code;
}
await server?.stop();
process.exit(code);
