/**
 * Test harness for a real Temporal server. `npm test` starts one dev server and passes its address
 * in RATCHET_TEST_TEMPORAL_ADDRESS; a file run on its own starts its own.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { quietTemporalRuntime } from '../../cli/stack';
import { startDevServer, type DevServer } from '../../workers/dev-server';
import { createPipelineWorker } from '../../workers/pipeline/worker';

export interface TemporalTestServer {
  address: string;
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

export async function connectTestServer(): Promise<TemporalTestServer> {
  quietTemporalRuntime();
  let own: DevServer | null = null;
  let address = process.env.RATCHET_TEST_TEMPORAL_ADDRESS;
  if (!address) {
    own = await startDevServer({ ui: false });
    address = own.address;
  }
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    client: new Client({ connection }),
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
      await own?.stop();
    },
  };
}

export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function startTestWorker(connection: NativeConnection, taskQueue: string, deps: ActivityDeps, namespace = 'default'): Promise<{ worker: Worker; stop: () => Promise<void> }> {
  const worker = await createPipelineWorker({ connection, taskQueue, deps, namespace, shutdownGraceTime: '1s' });
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
