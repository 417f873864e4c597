import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Command } from 'commander';
import { COMMAND_MODULE_OF, COMMAND_MODULES, registerCommandsFor, type CommandModule } from '../../cli/command-modules';

const names = (program: Command) => program.commands.map((c) => c.name());

it('the table names exactly the top-level commands each module registers', async () => {
  for (const module of Object.keys(COMMAND_MODULES) as CommandModule[]) {
    const program = new Command('ratchet');
    (await COMMAND_MODULES[module]())(program);
    const expected = Object.entries(COMMAND_MODULE_OF).filter(([, m]) => m === module).map(([name]) => name);
    assert.deepEqual(names(program).sort(), expected.sort(), `module ${module}`);
  }
});

it('a known command loads its module only; help, a typo or no command load them all', async () => {
  const registered = async (args: string[]) => {
    const program = new Command('ratchet');
    await registerCommandsFor(program, args);
    return names(program);
  };
  assert.deepEqual(await registered(['status', 'run-1', '--json']), ['retrain', 'status', 'report', 'approve', 'override', 'reject']);
  assert.deepEqual(await registered(['rollback', '--help']), ['promotion', 'rollback']);
  const all = Object.keys(COMMAND_MODULE_OF).sort();
  for (const args of [[], ['--help'], ['help', 'status'], ['stauts']]) assert.deepEqual((await registered(args)).sort(), all, args.join(' '));
});
