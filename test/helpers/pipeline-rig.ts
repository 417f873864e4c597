/**
 * A real Temporal server, a small demo workspace, a filesystem registry and a pipeline worker on
 * its own task queue: what a test of whole retraining runs needs, set up and torn down together.
 */
import { FsRegistryStore } from '../../registry/fs-store';
import { demoWorkspace, type DemoWorkspace } from './fixtures';
import { connectTestServer, startTestWorker, uniqueTaskQueue, type TemporalTestServer } from './temporal';

export interface PipelineRig {
  server: TemporalTestServer;
  ws: DemoWorkspace;
  store: FsRegistryStore;
  taskQueue: string;
  close(): Promise<void>;
}

export async function pipelineRig(queuePrefix: string): Promise<PipelineRig> {
  const [server, ws] = await Promise.all([connectTestServer(), demoWorkspace()]);
  const store = new FsRegistryStore(ws.paths.registry);
  const taskQueue = uniqueTaskQueue(queuePrefix);
  const { stop } = await startTestWorker(server.nativeConnection, taskQueue, { paths: ws.paths, store });
  return {
    server,
    ws,
    store,
    taskQueue,
    async close() {
      await stop();
      await server.close();
      await ws.cleanup();
    },
  };
}
