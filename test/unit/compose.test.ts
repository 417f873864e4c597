/**
 * The production deployment, checked for structure without Docker: docker-compose.yml, the
 * Dockerfile, .dockerignore, deploy/*. Each test names a way a deployment breaks at 3 a.m. that
 * the files alone can reveal: a dependency that never becomes healthy, a one-shot job restarted
 * forever, a secret in the repository, an environment variable nobody reads (or one the code needs
 * and nobody sets), a source folder missing from the image.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[] | string;
  restart?: string;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { published?: string | number })[];
  volumes?: (string | { type?: string; source?: string })[];
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = Object.entries(compose.services);

/** Services running the Ratchet image (built from this repository). */
const ratchetServices = services.filter(([, s]) => s.build !== undefined || /^ratchet(:|$)/.test(s.image ?? ''));
const role = (s: Service) => (Array.isArray(s.command) ? s.command[0] : s.command?.split(' ')[0]);

function environment(s: Service): Record<string, string> {
  if (!s.environment) return {};
  if (Array.isArray(s.environment)) {
    return Object.fromEntries(s.environment.map((e) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function dependencies(s: Service): [string, string][] {
  if (!s.depends_on) return [];
  if (Array.isArray(s.depends_on)) return s.depends_on.map((d) => [d, 'service_started']);
  return Object.entries(s.depends_on).map(([d, v]) => [d, v?.condition ?? 'service_started']);
}

/** Every TypeScript source of the product (not tests or benchmarks), for "does the code read it". */
function productSources(): string {
  const skip = new Set(['node_modules', 'test', 'bench', '.git', '.ratchet', 'test-artifacts']);
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (skip.has(entry.name) || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|mjs)$/.test(entry.name)) texts.push(readFileSync(full, 'utf8'));
    }
  };
  walk(ROOT);
  return texts.join('\n');
}

/** A variable the code reads: `env.NAME`, `env['NAME']`, or a NAME string next to `env` (lookup tables). */
function readByCode(sources: string, name: string): boolean {
  return new RegExp(`env(\\.${name}\\b|\\[['"]${name}['"]\\])|['"]${name}['"]`).test(sources);
}

const REQUIRED_REFERENCE = /^\$\{[A-Z_][A-Z0-9_]*:\?[^}]+\}$/;
const SECRET_NAME = /PASSWORD|PASSWD|_PWD$|SECRET|TOKEN|API_KEYS?$|PRIVATE_KEY/;

describe('docker-compose.yml', () => {
  test('parses, and every service has an image or a build', () => {
    assert.ok(services.length >= 5, 'expected PostgreSQL, Temporal, its jobs, the UI and the Ratchet workers');
    for (const [name, s] of services) assert.ok(s.image || s.build, `service ${name} has neither image nor build`);
    assert.ok(ratchetServices.length >= 2, 'the Ratchet image runs at least the pipeline worker and a serving worker');
  });

  test('depends_on names existing services with valid conditions that can be met', () => {
    const conditions = ['service_started', 'service_healthy', 'service_completed_successfully'];
    for (const [name, s] of services) {
      for (const [target, condition] of dependencies(s)) {
        const dependency = compose.services[target];
        assert.ok(dependency, `${name} depends on "${target}", which is not a service`);
        assert.ok(conditions.includes(condition), `${name} → ${target}: condition "${condition}" is not one of ${conditions.join(', ')}`);
        if (condition === 'service_healthy') {
          const check = dependency.healthcheck;
          assert.ok(check?.test && !check.disable, `${name} waits for ${target} to be healthy, but ${target} has no healthcheck`);
        }
        if (condition === 'service_completed_successfully') {
          // A job that restarts after success never "completes": its dependents would never start.
          const restart = dependency.restart ?? 'no';
          assert.match(restart, /^(no|on-failure(:\d+)?)$/, `${target} is a one-shot job (${name} waits for it to complete) but restarts "${restart}"`);
        }
      }
    }
  });

  test('published ports are unique; named volumes are declared; mounted files exist', () => {
    const published = new Map<string, string>();
    for (const [name, s] of services) {
      for (const port of s.ports ?? []) {
        const host = typeof port === 'object' ? String(port.published) : String(port).split(':').slice(0, -1).join(':');
        if (!host) continue; // container port only: Docker picks a free host port
        assert.ok(!published.has(host), `host port ${host} is published by both ${published.get(host)} and ${name}`);
        published.set(host, name);
      }
      for (const volume of s.volumes ?? []) {
        const source = typeof volume === 'object' ? volume.source ?? '' : volume.split(':')[0]!;
        if (source.startsWith('./')) {
          assert.ok(existsSync(path.join(ROOT, source)), `${name} mounts ${source}, which does not exist`);
        } else if (source && !source.startsWith('/') && !source.startsWith('$')) {
          assert.ok(compose.volumes && source in compose.volumes, `${name} uses volume "${source}", not declared under volumes:`);
        }
      }
    }
  });

  test('no secret is written into the files: passwords are ${VAR:?…} references, .env.example holds placeholders', () => {
    const required = new Set<string>();
    for (const [name, s] of services) {
      for (const [key, value] of Object.entries(environment(s))) {
        for (const match of value.matchAll(/\$\{([A-Z_][A-Z0-9_]*):\?/g)) required.add(match[1]!);
        if (SECRET_NAME.test(key)) {
          // Optional secrets (API keys) may default to empty; a password may not.
          const ok = REQUIRED_REFERENCE.test(value) || (!/PASSWORD|PWD/.test(key) && /^\$\{[A-Z_][A-Z0-9_]*(:-)?\}$/.test(value));
          assert.ok(ok, `${name}: ${key} must be a reference such as \${${key}:?set it in .env}, not "${value}"`);
        }
        // Credentials inside URLs: the password part must be a required reference too.
        const url = /^[a-z]+:\/\/([^:@/]+):([^@]+)@/.exec(value);
        if (url) assert.match(url[2]!, REQUIRED_REFERENCE, `${name}: ${key} carries a literal password in its URL`);
      }
    }
    const example = read('deploy/.env.example');
    const entries = example
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()] as const);
    for (const [key, value] of entries) {
      if (SECRET_NAME.test(key)) assert.match(value, /^(change-me[\w-]*)?$/, `deploy/.env.example: ${key} must be a placeholder, not "${value}"`);
    }
    const listed = new Set(entries.map(([k]) => k));
    for (const name of required) assert.ok(listed.has(name), `docker-compose.yml requires \${${name}} but deploy/.env.example does not list it`);
  });

  test('every RATCHET_*/TEMPORAL_* variable set on a Ratchet service is read by the code, and production needs are set', () => {
    const sources = productSources();
    // What each process reads at start and a multi-machine deployment cannot leave to defaults.
    const needs: Record<string, string[]> = {
      worker: ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'RATCHET_HOME', 'RATCHET_REGISTRY', 'RATCHET_MODELS_DIR', 'RATCHET_PREDICTION_LOG'],
      serve: ['RATCHET_HOME', 'RATCHET_REGISTRY', 'RATCHET_PREDICTION_LOG', 'RATCHET_SERVING_URL'],
    };
    for (const name of Object.values(needs).flat()) assert.ok(readByCode(sources, name), `this test expects ${name}, but no code reads it: update the test`);

    const roles = new Set<string>();
    for (const [name, s] of ratchetServices) {
      const env = environment(s);
      for (const key of Object.keys(env).filter((k) => /^(RATCHET|TEMPORAL)_/.test(k))) {
        assert.ok(readByCode(sources, key), `${name} sets ${key}, but no Ratchet code reads it`);
      }
      const r = role(s);
      assert.ok(r && r in needs, `${name} runs "${r}": expected worker or serve`);
      roles.add(r);
      for (const key of needs[r]!) assert.ok(env[key], `${name} (${r}) does not set ${key}`);
      // Workers on several machines share state only through PostgreSQL, never a local folder.
      assert.match(env.RATCHET_REGISTRY!, /^postgres(ql)?:\/\//, `${name}: RATCHET_REGISTRY must be a postgres:// URL`);
      assert.match(env.RATCHET_PREDICTION_LOG!, /^postgres(ql)?:\/\//, `${name}: RATCHET_PREDICTION_LOG must be a postgres:// URL`);
      if (r === 'serve') {
        const url = new URL(env.RATCHET_SERVING_URL!);
        assert.equal(url.hostname, name, `${name}: RATCHET_SERVING_URL must name the service, so other containers reach it`);
      }
    }
    assert.deepEqual([...roles].sort(), ['serve', 'worker']);
    const shared = (key: string) => new Set(ratchetServices.map(([, s]) => environment(s)[key]));
    assert.equal(shared('RATCHET_REGISTRY').size, 1, 'every Ratchet service must use the same registry');
    assert.equal(shared('RATCHET_PREDICTION_LOG').size, 1, 'the pipeline worker must read the prediction log the serving workers write');
    assert.equal(new Set(ratchetServices.filter(([, s]) => role(s) === 'serve').map(([, s]) => environment(s).RATCHET_SERVING_URL)).size, ratchetServices.filter(([, s]) => role(s) === 'serve').length, 'serving URLs are unique');
  });
});

// ---- the image ----------------------------------------------------------------------------------

/** Dockerfile instructions with continuation lines joined, grouped by stage. */
function dockerStages(text: string): { from: string; instructions: string[] }[] {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: { from: string; instructions: string[] }[] = [];
  for (const line of instructions) {
    if (/^FROM\s/i.test(line)) stages.push({ from: line, instructions: [] });
    else stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

/** Relative imports of a file: static, side-effect, dynamic, and `new URL('…', import.meta.url)` (the workflow bundle). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/\bfrom\s+['"](\.[^'"]+)['"]/g),
    ...text.matchAll(/\bimport\s+['"](\.[^'"]+)['"]/g),
    ...text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g),
    ...text.matchAll(/new URL\(\s*['"](\.[^'"]+\.ts)['"],\s*import\.meta\.url\s*\)/g),
  ].map((m) => m[1]!);
  return specs.map((spec) => {
    const base = path.resolve(path.dirname(file), spec);
    for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
      if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    }
    throw new Error(`${path.relative(ROOT, file)} imports ${spec}, which does not resolve`);
  });
}

/** Top-level folders the CLI needs at run time: everything reachable from cli/bin.mjs. */
function foldersTheCliNeeds(): Set<string> {
  const seen = new Set<string>();
  const queue = [path.join(ROOT, 'cli', 'bin.mjs')];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...importsOf(file));
  }
  return new Set([...seen].map((f) => path.relative(ROOT, f).split(path.sep)[0]!).filter((first) => !first.includes('.')));
}

describe('Dockerfile', () => {
  const stages = dockerStages(read('Dockerfile'));
  const final = stages.at(-1)!;

  test('multi-stage, production dependencies only, a non-root user at run time', () => {
    assert.ok(stages.length >= 2, 'a build stage for dependencies and a runtime stage');
    const runs = stages.flatMap((s) => s.instructions.filter((i) => /^RUN\s/i.test(i)));
    assert.ok(runs.some((r) => /npm (ci|install)\b.*--omit=dev/.test(r)), 'production dependencies only: npm install --omit=dev');
    // npm install follows package-lock.json when it is there (npm ci would be the usual choice, but
    // npm 11 leaves other platforms' optional binaries out of the lock and npm ci refuses it).
    const copies = stages.flatMap((s) => s.instructions.filter((i) => /^COPY\s/i.test(i)));
    assert.ok(copies.some((c) => /package-lock\.json/.test(c)), 'the lock file is copied in before installing');
    const users = final.instructions.filter((i) => /^USER\s/i.test(i));
    assert.ok(users.length > 0, 'the runtime stage sets a USER');
    assert.doesNotMatch(users.at(-1)!, /^USER\s+(root|0)(:|\s|$)/i, 'the last USER is not root');
    assert.ok(final.instructions.some((i) => /^COPY\s+--from=/i.test(i) && /node_modules/.test(i)), 'node_modules come from the build stage');
  });

  test('the runtime stage copies every folder the CLI imports, and .dockerignore keeps none of them out', () => {
    const needed = foldersTheCliNeeds();
    for (const folder of ['cli', 'core', 'workflows', 'activities', 'registry']) assert.ok(needed.has(folder), `import scan missed ${folder}`);
    const copies = final.instructions.filter((i) => /^COPY\s/i.test(i) && !/--from=/i.test(i)).map((i) => i.split(/\s+/).slice(1, -1));
    const copied = new Set(copies.flat());
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim().replace(/\/$/, '')).filter((l) => l && !l.startsWith('#'));
    for (const folder of [...needed, 'package.json']) {
      assert.ok(copied.has(folder) || copied.has('.'), `the image lacks ${folder}: add COPY ${folder} ./${folder} to the runtime stage`);
      assert.ok(!ignored.includes(folder), `.dockerignore excludes ${folder}, which the image needs`);
    }
  });

  test('the example external trainer can run in the image: its Python libraries are installed', () => {
    const trainer = read('examples/sklearn-trainer/train.py');
    const DIST: Record<string, string> = { sklearn: 'scikit-learn', numpy: 'numpy', pandas: 'pandas', skl2onnx: 'skl2onnx', pyarrow: 'pyarrow', onnx: 'onnx' };
    const imported = new Set([...trainer.matchAll(/^(?:import|from)\s+([a-z0-9_]+)/gm)].map((m) => m[1]!).filter((m) => m in DIST));
    assert.ok(imported.has('sklearn') && imported.has('skl2onnx'));
    const text = stages.flatMap((s) => s.instructions).join('\n');
    const requirements = read('requirements.txt');
    // Pinned once, in requirements.txt; the Dockerfile selects the trainer's lines from it.
    for (const module of imported) {
      const dist = DIST[module]!;
      assert.match(requirements, new RegExp(`^${dist}==`, 'm'), `requirements.txt does not pin ${dist}`);
      assert.match(text, new RegExp(`\\b${dist}\\b`), `the image does not install ${dist}, which the example trainer imports as ${module}`);
    }
  });
});

describe('deploy/', () => {
  test('every shell script exists, is executable and stops on the first error', () => {
    const scripts = readdirSync(path.join(ROOT, 'deploy')).filter((f) => f.endsWith('.sh'));
    const mounted = [...read('docker-compose.yml').matchAll(/\.\/deploy\/([\w.-]+\.sh)/g)].map((m) => m[1]!);
    assert.ok(mounted.length >= 3);
    for (const script of new Set([...scripts, ...mounted])) {
      const file = path.join(ROOT, 'deploy', script);
      assert.ok(existsSync(file), `deploy/${script} is mounted by docker-compose.yml but missing`);
      assert.ok((statSync(file).mode & 0o111) !== 0, `deploy/${script} is not executable (chmod +x)`);
      const text = readFileSync(file, 'utf8');
      assert.match(text, /^#!\/bin\/(ba)?sh\n/, `deploy/${script} has no shebang`);
      assert.match(text, /^set -eu/m, `deploy/${script} does not stop on errors (set -eu)`);
    }
  });
});
