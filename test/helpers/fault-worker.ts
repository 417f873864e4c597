/**
 * The pipeline worker as a process of its own, for fault tests that SIGKILL it: the same
 * createPipelineWorker the CLI runs, against the registry and state folder under RATCHET_HOME.
 *
 *   RATCHET_TEST_TEMPORAL_ADDRESS=127.0.0.1:7233 RATCHET_FAULT_TASK_QUEUE=q RATCHET_HOME=/tmp/x \
 *     node --import tsx test/helpers/fault-worker.ts
 *
 * RATCHET_FAULT_BUNDLE names a prebuilt workflow bundle (writeWorkflowBundle) so a restart takes a
 * second, not the several a webpack build takes.
 *
 * Prints "fault-worker ready <pid>" on stdout once it polls its task queue. SIGTERM shuts it
 * down cleanly (the SDK's Runtime handles the signal); SIGKILL is the point of the exercise.
 */
import { NativeConnection } from '@temporalio/worker';
import { quietTemporalRuntime } from '../../cli/stack';
import { ratchetPaths } from '../../core/paths';
import { openRegistry } from '../../registry/open';
import { createPipelineWorker } from '../../workers/pipeline/worker';

const address = process.env.RATCHET_TEST_TEMPORAL_ADDRESS;
const taskQueue = process.env.RATCHET_FAULT_TASK_QUEUE;
if (!address || !taskQueue || !process.env.RATCHET_HOME) {
  process.stderr.write('fault-worker: set RATCHET_TEST_TEMPORAL_ADDRESS, RATCHET_FAULT_TASK_QUEUE and RATCHET_HOME\n');
  process.exit(2);
}

quietTemporalRuntime();
const paths = ratchetPaths(process.env.RATCHET_HOME);
const connection = await NativeConnection.connect({ address });
const worker = await createPipelineWorker({
  connection,
  taskQueue,
  deps: { paths, store: openRegistry(paths) },
  shutdownGraceTime: '1s',
  identity: `fault-worker-${process.pid}`,
  // A killed worker's runs wait this long for its sticky queue before another worker takes them.
  stickyQueueScheduleToStartTimeout: process.env.RATCHET_FAULT_STICKY_TIMEOUT ?? '10s',
  ...(process.env.RATCHET_FAULT_BUNDLE ? { workflowBundle: { codePath: process.env.RATCHET_FAULT_BUNDLE } } : {}),
});
const running = worker.run();
process.stdout.write(`fault-worker ready ${process.pid}\n`);
await running;
await connection.close();
