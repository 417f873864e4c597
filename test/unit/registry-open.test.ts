/**
 * openRegistry picks the store from RATCHET_REGISTRY; the PostgreSQL store refuses bad input before
 * it ever connects. No database here: the PostgreSQL URLs point at a port nothing listens on, so
 * anything that reached SQL would fail with a connection error instead of the expected one.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ratchetPaths } from '../../core/paths';
import { FsRegistryStore } from '../../registry/fs-store';
import { openRegistry } from '../../registry/open';
import { PgRegistryStore, redactConnectionString } from '../../registry/pg-store';
import { InvalidNameError, RegistryError } from '../../registry/store';
import { bytes, newVersion } from '../helpers/registry-contract';

const paths = ratchetPaths('/tmp/ratchet-open-test-home');
const NOWHERE = 'postgres://ratchet:s3cret@127.0.0.1:1/ratchet';
const ctx = { actor: 'alice', reason: 'unit test' };

describe('openRegistry', () => {
  test('defaults to the filesystem store under the state folder', () => {
    const store = openRegistry(paths, {});
    assert.ok(store instanceof FsRegistryStore);
    assert.equal(store.root, path.join('/tmp/ratchet-open-test-home', 'registry'));
  });

  test('uses a directory named by RATCHET_REGISTRY', () => {
    const store = openRegistry(paths, { RATCHET_REGISTRY: '/srv/registry' });
    assert.ok(store instanceof FsRegistryStore);
    assert.equal(store.root, '/srv/registry');
  });

  test('uses PostgreSQL for postgres:// and postgresql:// URLs, in RATCHET_REGISTRY_SCHEMA or "ratchet"', async () => {
    const plain = openRegistry(paths, { RATCHET_REGISTRY: NOWHERE });
    assert.ok(plain instanceof PgRegistryStore);
    assert.equal(plain.schema, 'ratchet');
    const named = openRegistry(paths, { RATCHET_REGISTRY: NOWHERE.replace('postgres:', 'postgresql:'), RATCHET_REGISTRY_SCHEMA: 'registry_eu' });
    assert.ok(named instanceof PgRegistryStore);
    assert.equal(named.schema, 'registry_eu');
    await Promise.all([plain.close(), named.close()]);
  });

  test('refuses a schema name that is not a safe identifier', () => {
    assert.throws(() => openRegistry(paths, { RATCHET_REGISTRY: NOWHERE, RATCHET_REGISTRY_SCHEMA: 'x"; DROP SCHEMA public; --' }), InvalidNameError);
  });
});

describe('PgRegistryStore before any SQL', () => {
  test('refuses bad model names and versions without connecting', async () => {
    const store = new PgRegistryStore({ connectionString: NOWHERE });
    try {
      await assert.rejects(store.registerVersion(newVersion('run-1', '../etc'), bytes('x'), ctx), InvalidNameError);
      await assert.rejects(store.getRouting("x'; DROP TABLE versions; --"), InvalidNameError);
      await assert.rejects(store.updateRouting('Churn', { champion: 1 }, ctx), InvalidNameError);
      await assert.rejects(store.readAudit('a/b'), InvalidNameError);
      await assert.rejects(store.getVersion('churn', 0), InvalidNameError);
    } finally {
      await store.close();
    }
  });

  test('reports an unreachable database with the URL, minus its password', async () => {
    await assert.rejects(PgRegistryStore.open({ connectionString: NOWHERE }), (error: Error) => {
      assert.ok(error instanceof RegistryError);
      assert.match(error.message, /registry at postgres:\/\/ratchet:\*\*\*@127\.0\.0\.1:1\/ratchet \(schema "ratchet"\) is not usable/);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
    const store = new PgRegistryStore({ connectionString: NOWHERE });
    await assert.rejects(store.listModels(), /is not usable/);
    await store.close();
  });

  test('redacts passwords in connection strings, and leaves URLs without one alone', () => {
    assert.equal(redactConnectionString('postgres://u:p%40ss@db:5432/x'), 'postgres://u:***@db:5432/x');
    assert.equal(redactConnectionString('postgres://u@db/x'), 'postgres://u@db/x');
    assert.equal(redactConnectionString('postgres://db:5432/x'), 'postgres://db:5432/x');
  });

  test('needs a connection string or a pool', () => {
    assert.throws(() => new PgRegistryStore({}), /connectionString or a pool/);
  });
});
