/** The store contract against the filesystem store, on a fresh temporary directory per test. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsRegistryStore } from '../../registry/fs-store';
import { registryContract } from '../helpers/registry-contract';

registryContract('filesystem', async ({ now }) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ratchet-contract-'));
  return {
    store: new FsRegistryStore(root, { now }),
    close: () => fs.rm(root, { recursive: true, force: true }),
    async corruptArtifact(sha256) {
      const file = path.join(root, 'artifacts', 'sha256', `${sha256}.onnx`);
      const data = await fs.readFile(file);
      data[0] ^= 0xff;
      await fs.writeFile(file, data);
    },
  };
});
