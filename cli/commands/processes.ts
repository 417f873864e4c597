/** ratchet dev | worker | serve: the long-running processes. */
import type { Command } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { ratchetPaths } from '../../core/paths';
import { openRegistry } from '../../registry/open';
import { createPipelineWorker } from '../../workers/pipeline/worker';
import { startServingWorker } from '../../workers/serving/main';
import { temporalTarget } from '../../workers/temporal-connection';
import { quietTemporalRuntime, startStack } from '../stack';

export function registerProcessCommands(program: Command): void {
  program
    .command('dev')
    .description('start the embedded stack (Temporal dev server with Web UI, pipeline worker, serving worker) and stay up')
    .option('--port <port>', 'serving worker port', '8080')
    .action(async (opts) => {
      const stack = await startStack({ paths: ratchetPaths(), serving: { port: Number(opts.port) }, log: (l) => process.stderr.write(`${l}\n`) });
      process.stdout.write(
        [
          '',
          `Ratchet is up.`,
          `  Temporal       ${stack.address}  (export TEMPORAL_ADDRESS=${stack.address} for other shells)`,
          `  Temporal UI    ${stack.uiUrl ?? '(external server)'}`,
          `  Serving        ${stack.servingUrl}`,
          `  Try            ratchet retrain --model credit --config examples/credit/credit.yaml --wait`,
          'Ctrl-C stops everything.',
          '',
        ].join('\n'),
      );
      await waitForSignal();
      process.stderr.write('stopping...\n');
      await stack.stop();
    });

  program
    .command('worker')
    .description('run the pipeline worker alone (connects to TEMPORAL_ADDRESS)')
    .action(async () => {
      quietTemporalRuntime();
      const target = temporalTarget();
      const paths = ratchetPaths();
      const connection = await NativeConnection.connect({ address: target.address });
      const worker = await createPipelineWorker({ connection, namespace: target.namespace, deps: { paths, store: openRegistry(paths) } });
      process.stderr.write(`pipeline worker polling ${target.address} (${target.namespace})\n`);
      // The SDK's Runtime turns SIGINT/SIGTERM into a graceful shutdown within shutdownGraceTime.
      await worker.run();
      await connection.close();
    });

  program
    .command('serve')
    .description('run the serving worker alone')
    .option('--port <port>', 'port', process.env.PORT ?? '8080')
    .option('--host <host>', 'interface to bind', process.env.HOST ?? '127.0.0.1')
    .action(async (opts) => {
      const paths = ratchetPaths();
      const serving = await startServingWorker({ registryRoot: paths.registry, host: opts.host, port: Number(opts.port) });
      process.stderr.write(`serving worker at ${serving.url}\n`);
      await waitForSignal();
      await serving.close();
    });
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
