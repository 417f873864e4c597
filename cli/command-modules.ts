/**
 * Which module defines each top-level command, so that `ratchet X` loads only X's module and what
 * it imports: the modules together pull in Temporal's client, DuckDB, onnxruntime and the
 * statistics, and loading all of them was most of the command's start-up time (1.5 s). Help, a
 * mistyped command or no command load every module, so listings and "did you mean" stay complete.
 * test/unit/cli-command-modules.test.ts checks the table against what each module registers.
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

export const COMMAND_MODULES = {
  runs: async (): Promise<Register> => (await import('./commands/runs')).registerRunCommands,
  registry: async (): Promise<Register> => (await import('./commands/registry')).registerRegistryCommands,
  evaluate: async (): Promise<Register> => (await import('./commands/evaluate')).registerEvaluateCommands,
  init: async (): Promise<Register> => (await import('./commands/init')).registerInitCommand,
  score: async (): Promise<Register> => (await import('./commands/score')).registerScoreCommand,
  promotion: async (): Promise<Register> => (await import('./commands/promotion')).registerPromotionCommands,
  operations: async (): Promise<Register> => (await import('./commands/operations')).registerOperationsCommands,
  processes: async (): Promise<Register> => (await import('./commands/processes')).registerProcessCommands,
  demo: async (): Promise<Register> => (await import('./commands/demo')).registerDemoCommand,
} as const;

export type CommandModule = keyof typeof COMMAND_MODULES;

/** Top-level command → the module that registers it. */
export const COMMAND_MODULE_OF: Readonly<Record<string, CommandModule>> = {
  retrain: 'runs',
  status: 'runs',
  report: 'runs',
  approve: 'runs',
  override: 'runs',
  reject: 'runs',
  registry: 'registry',
  evaluate: 'evaluate',
  drift: 'evaluate',
  init: 'init',
  score: 'score',
  promotion: 'promotion',
  rollback: 'promotion',
  schedule: 'operations',
  monitor: 'operations',
  backtest: 'operations',
  runs: 'operations',
  dev: 'processes',
  worker: 'processes',
  serve: 'processes',
  demo: 'demo',
};

/**
 * Registers on `program` the commands `args` (process.argv without node and the script) can reach:
 * the named command's module, or every module when the first word is not a known command.
 */
export async function registerCommandsFor(program: Command, args: readonly string[]): Promise<void> {
  const first = args.find((arg) => !arg.startsWith('-'));
  const only = first === undefined ? undefined : COMMAND_MODULE_OF[first];
  const modules = only ? [only] : (Object.keys(COMMAND_MODULES) as CommandModule[]);
  // In the table's order, so a full listing keeps the order commands were always listed in.
  for (const register of await Promise.all(modules.map((m) => COMMAND_MODULES[m]()))) register(program);
}
