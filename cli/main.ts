/**
 * The `ratchet` command. Every subcommand has --help; reporting commands take --json.
 * Exit codes: 0 ok, 1 refused or failed, 2 usage (see README).
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../core/config';
import { registerCommandsFor } from './command-modules';
import { CliError, EXIT } from './errors';
import { paint } from './format';

const program = new Command('ratchet')
  .description('Keeps production ML models honest: retrain, evaluate, gate, approve, promote, roll back.')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

try {
  await registerCommandsFor(program, process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = report(err);
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander already printed the message; --help and --version end here too.
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`${paint('config error', 'red', process.stderr)}: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof CliError) {
    process.stderr.write(`${paint('error', 'red', process.stderr)}: ${err.message}\n`);
    return err.code;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`${paint('error', 'red', process.stderr)}: ${message}\n`);
  return EXIT.failed;
}
