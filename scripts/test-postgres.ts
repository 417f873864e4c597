/**
 * A PostgreSQL for tests. RATCHET_TEST_POSTGRES_URL wins when set (CI services, a developer's own
 * server). Otherwise, on a machine with Debian's PostgreSQL (postgresql-common), the first cluster
 * is started if it is down and given a `ratchet` role and a `ratchet_test` database; null means
 * this machine has no PostgreSQL at all (`.ci/install-postgres.sh` installs it).
 *
 * The role's password is fixed and public on purpose: it guards a throwaway test database reached
 * over 127.0.0.1 only, and a fixed one lets every test process build the same URL.
 */
import { spawnSync } from 'node:child_process';

export const TEST_ROLE = 'ratchet';
export const TEST_PASSWORD = 'ratchet-test';
export const TEST_DATABASE = 'ratchet_test';

interface Cluster {
  version: string;
  name: string;
  port: number;
  online: boolean;
}

export async function ensureTestPostgres(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if (env.RATCHET_TEST_POSTGRES_URL) return env.RATCHET_TEST_POSTGRES_URL;
  if (!hasCommand('pg_lsclusters') || !hasCommand('pg_ctlcluster')) return null;
  let cluster = pickCluster(listClusters());
  if (!cluster) return null;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(
      `PostgreSQL cluster ${cluster.version}/${cluster.name} exists but managing it needs root: ` +
        `run the tests as root, or set RATCHET_TEST_POSTGRES_URL=postgres://user:password@host:port/db`,
    );
  }
  if (!cluster.online) {
    const started = run('pg_ctlcluster', [cluster.version, cluster.name, 'start']);
    // Another test process may have started it meanwhile ("already running"): status decides.
    cluster = pickCluster(listClusters().filter((c) => c.version === cluster!.version && c.name === cluster!.name));
    if (!cluster?.online) {
      throw new Error(`pg_ctlcluster could not start the PostgreSQL cluster: ${started.stderr.trim() || started.stdout.trim()}`);
    }
  }
  const { version, name, port } = cluster;
  await waitReady(version, name, port);
  ensureRoleAndDatabase(port);
  return `postgres://${TEST_ROLE}:${TEST_PASSWORD}@127.0.0.1:${port}/${TEST_DATABASE}`;
}

/** The newest online cluster, else the newest one (which the caller starts). */
function pickCluster(clusters: Cluster[]): Cluster | null {
  const sorted = [...clusters].sort((a, b) => Number(b.version) - Number(a.version));
  return sorted.find((c) => c.online) ?? sorted[0] ?? null;
}

/** `pg_lsclusters --no-header`: "15 main 5432 down postgres /var/lib/... /var/log/...". */
function listClusters(): Cluster[] {
  const out = run('pg_lsclusters', ['--no-header']);
  if (out.status !== 0) throw new Error(`pg_lsclusters failed: ${out.stderr.trim()}`);
  return out.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length >= 4 && /^\d+$/.test(cols[2]))
    .map(([version, name, port, status]) => ({ version, name, port: Number(port), online: status.startsWith('online') }));
}

async function waitReady(version: string, name: string, port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (run('pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(port)]).status === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`PostgreSQL cluster ${version}/${name} is not accepting connections on 127.0.0.1:${port} after 30 s: see its log under /var/log/postgresql`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function ensureRoleAndDatabase(port: number): void {
  // Values are constants of this file, never user input; psql's :'var' quoting keeps them literal anyway.
  psql(
    port,
    'postgres',
    `SELECT format(CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
                     THEN 'ALTER ROLE %I LOGIN PASSWORD %L' ELSE 'CREATE ROLE %I LOGIN PASSWORD %L' END,
                   :'role', :'password') \\gexec`,
  );
  const create = `SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
                  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec`;
  try {
    psql(port, 'postgres', create);
  } catch (error) {
    // Two processes creating it at once: one wins, the other sees "already exists" and is done too.
    if (!/already exists/.test(String(error))) throw error;
  }
}

function psql(port: number, database: string, script: string): void {
  const result = spawnSync(
    'runuser',
    [
      '-u', 'postgres', '--',
      'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-p', String(port), '-d', database,
      '-v', `role=${TEST_ROLE}`, '-v', `password=${TEST_PASSWORD}`, '-v', `db=${TEST_DATABASE}`,
    ],
    { input: script, encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(`psql as postgres on port ${port} failed: ${(result.stderr || result.stdout || String(result.error)).trim()}`);
  }
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? String(result.error ?? '') };
}

// `node --import tsx scripts/test-postgres.ts` prints the URL (or says why there is none).
if (import.meta.url === `file://${process.argv[1]}`) {
  const url = await ensureTestPostgres();
  if (url) console.log(url);
  else {
    console.error('no PostgreSQL on this machine: run .ci/install-postgres.sh or set RATCHET_TEST_POSTGRES_URL');
    process.exit(1);
  }
}
