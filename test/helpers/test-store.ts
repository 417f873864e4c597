/**
 * The registry store integration tests run against: the filesystem store by default, PostgreSQL
 * (a fresh schema per store, dropped on close) when RATCHET_TEST_STORE=postgres. `npm test` runs
 * the workflow integration tests once per store.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { FsRegistryStore } from '../../registry/fs-store';
import { PgRegistryStore } from '../../registry/pg-store';
import type { RegistryStore } from '../../registry/store';
import { ensureTestPostgres } from '../../scripts/test-postgres';

export type TestStore = RegistryStore & { close(): Promise<void>; kind: 'fs' | 'postgres' };

export const TEST_STORE_KIND: 'fs' | 'postgres' = process.env.RATCHET_TEST_STORE === 'postgres' ? 'postgres' : 'fs';

export async function openTestStore(root: string): Promise<TestStore> {
  if (TEST_STORE_KIND === 'fs') return Object.assign(new FsRegistryStore(root), { close: async () => {}, kind: 'fs' as const });
  const url = await ensureTestPostgres();
  if (!url) throw new Error('RATCHET_TEST_STORE=postgres but no PostgreSQL is available: install it with .ci/install-postgres.sh');
  const schema = `ratchet_it_${process.pid}_${randomBytes(3).toString('hex')}`;
  const store = await PgRegistryStore.open({ connectionString: url, schema });
  const closePool = store.close.bind(store);
  return Object.assign(store, {
    kind: 'postgres' as const,
    async close() {
      await closePool();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  });
}
