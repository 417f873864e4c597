/** ratchet dev | worker | serve: the long-running processes. */
import type { Command } from 'commander';
import { ratchetPaths } from '../../core/paths';
import { runPipelineWorkerProcess, SettingsError } from '../../workers/pipeline/main';
import { optionsFromArgs, startServingWorker } from '../../workers/serving/main';
import { CliError, EXIT } from '../errors';
import { startStack } from '../stack';

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
    .description('run the pipeline worker alone (connects to TEMPORAL_ADDRESS): JSON logs on stdout, metrics on RATCHET_METRICS_PORT')
    .option('--shutdown-grace <duration>', 'how long in-flight activities may finish after SIGTERM (default: RATCHET_SHUTDOWN_GRACE, else 30s)')
    .action(async (opts) => {
      try {
        process.exitCode = await runPipelineWorkerProcess({ shutdownGrace: opts.shutdownGrace });
      } catch (err) {
        if (err instanceof SettingsError) throw new CliError(err.message, EXIT.usage);
        throw err;
      }
    });

  program
    .command('serve')
    .description('run the serving worker alone')
    .option('--port <port>', 'port', process.env.PORT ?? '8080')
    .option('--host <host>', 'interface to bind', process.env.HOST ?? '127.0.0.1')
    .action(async (opts) => {
      // The serving worker's own reading of the environment (RATCHET_REGISTRY, RATCHET_API_KEYS,
      // RATCHET_SERVING_URL, ...), so `ratchet serve` in a container honours what compose sets;
      // without RATCHET_REGISTRY, the registry in the state folder.
      const env = { ...process.env, RATCHET_REGISTRY: process.env.RATCHET_REGISTRY || ratchetPaths().registry };
      const serving = await startServingWorker(optionsFromArgs(['--host', opts.host, '--port', String(opts.port)], env), env);
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
