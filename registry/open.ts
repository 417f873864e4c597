/**
 * Which registry store a process uses: the filesystem store under the state folder (default, or
 * RATCHET_REGISTRY=path), or PostgreSQL when RATCHET_REGISTRY is a postgres:// URL, in the schema
 * RATCHET_REGISTRY_SCHEMA (default "ratchet"). The PostgreSQL store migrates its schema on first use.
 */
import type { RatchetPaths } from '../core/paths';
import { FsRegistryStore } from './fs-store';
import { PgRegistryStore } from './pg-store';
import type { RegistryStore } from './store';

export function openRegistry(paths: RatchetPaths, env: NodeJS.ProcessEnv = process.env): RegistryStore {
  const location = env.RATCHET_REGISTRY || paths.registry;
  if (/^postgres(ql)?:\/\//.test(location)) {
    return new PgRegistryStore({ connectionString: location, schema: env.RATCHET_REGISTRY_SCHEMA || undefined });
  }
  return new FsRegistryStore(location);
}
