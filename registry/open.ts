/**
 * Which registry store a process uses. Today the filesystem store under the state folder (or
 * RATCHET_REGISTRY=path); a PostgreSQL store plugs in here by URL.
 */
import type { RatchetPaths } from '../core/paths';
import { FsRegistryStore } from './fs-store';
import type { RegistryStore } from './store';

export function openRegistry(paths: RatchetPaths, env: NodeJS.ProcessEnv = process.env): RegistryStore {
  const location = env.RATCHET_REGISTRY || paths.registry;
  if (/^postgres(ql)?:\/\//.test(location)) {
    throw new Error(`RATCHET_REGISTRY=${location.replace(/:[^:@/]*@/, ':***@')}: the PostgreSQL registry store is not available in this build; use a directory path`);
  }
  return new FsRegistryStore(location);
}
