/**
 * Every command of the real `ratchet` binary answers --help with exit 0 and its options, and
 * usage mistakes exit 2 with a message on stderr (README: 0 ok, 1 refused or failed, 2 usage).
 * The command list is read from the CLI's own help, so a new command is covered without editing
 * this file.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ANSI, runCli, type CliResult } from '../helpers/cli';

/** Commands the README and the runbook rely on, with options they document. */
const DOCUMENTED: Record<string, string[]> = {
  retrain: ['--model', '--config', '--as', '--as-of', '--wait', '--json'],
  status: ['--json'],
  approve: ['--as', '--comment', '--json'],
  reject: ['--as', '--reason'],
  'registry list': ['--json'],
  'registry show': ['--version', '--json'],
  evaluate: ['--model', '--data', '--label', '--baseline', '--slice', '--protected', '--threshold', '--json'],
  drift: ['--reference', '--current', '--columns', '--json'],
  init: ['--data', '--label', '--out', '--time-column', '--id-column', '--force', '--json'],
  score: ['--model', '--version', '--data', '--out', '--config', '--json'],
  'promotion status': ['--json'],
  'promotion pause': ['--as', '--reason'],
  'promotion resume': ['--as'],
  'promotion abort': ['--as', '--reason'],
  rollback: ['--to', '--as', '--reason', '--config'],
  worker: ['--shutdown-grace'],
  serve: ['--port', '--host'],
  dev: ['--port'],
  demo: ['--port'],
};

/** Names under "Commands:" in a help text; continuation lines of long descriptions are indented deeper. */
function commandsIn(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1];
  if (!section) return [];
  return section
    .split('\n')
    .map((line) => /^ {2}([a-z][\w-]*)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

/** At most `limit` children at once: each loads the whole CLI, and the machine has two cores. */
async function inBatches<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

function assertUsageError(result: CliResult, mentions: RegExp): void {
  assert.equal(result.code, 2, `expected exit 2, got ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.match(result.stderr, mentions);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'a usage error prints a message, not a stack trace');
}

describe('ratchet --help and usage errors (child processes)', () => {
  test('every command and subcommand has --help: exit 0, usage line and its options', async () => {
    const root = await runCli(['--help']);
    assert.equal(root.code, 0, root.stderr);
    const top = commandsIn(root.stdout);
    for (const name of ['retrain', 'status', 'approve', 'reject', 'registry', 'evaluate', 'drift', 'init', 'score', 'promotion', 'rollback', 'worker', 'serve', 'dev', 'demo']) {
      assert.ok(top.includes(name), `ratchet --help does not list "${name}": ${top.join(', ')}`);
    }
    const groups = await inBatches(top, 2, async (name) => ({ name, help: await runCli([name, '--help']) }));
    const leaves: { path: string[]; help: CliResult }[] = [];
    const nested: string[][] = [];
    for (const { name, help } of groups) {
      assert.equal(help.code, 0, `ratchet ${name} --help exited ${help.code}: ${help.stderr}`);
      const subcommands = commandsIn(help.stdout);
      if (subcommands.length === 0) leaves.push({ path: [name], help });
      else nested.push(...subcommands.map((sub) => [name, sub]));
    }
    assert.ok(nested.length >= 6, `expected the registry and promotion subcommands, got ${nested.map((p) => p.join(' ')).join(', ')}`);
    leaves.push(...(await inBatches(nested, 2, async (path) => ({ path, help: await runCli([...path, '--help']) }))));

    for (const { path, help } of leaves) {
      const name = path.join(' ');
      assert.equal(help.code, 0, `ratchet ${name} --help exited ${help.code}: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^Usage: ratchet ${name}\\b`), `ratchet ${name} --help: no usage line`);
      assert.match(help.stdout, /^Options:$/m, `ratchet ${name} --help lists no options`);
      assert.match(help.stdout, /-h, --help/);
      assert.doesNotMatch(help.stdout, ANSI, `ratchet ${name} --help writes escape codes into a pipe`);
      for (const option of DOCUMENTED[name] ?? []) {
        assert.match(help.stdout, new RegExp(`${option}\\b`), `ratchet ${name} --help does not list ${option}`);
      }
    }
    const covered = new Set(leaves.map((l) => l.path.join(' ')));
    for (const name of Object.keys(DOCUMENTED)) assert.ok(covered.has(name), `documented command "ratchet ${name}" does not exist`);
  });

  test('usage errors exit 2 and say what is wrong', async () => {
    const [unknownCommand, unknownOption, missingOption, missingArgument, badValue, badModelName] = await inBatches(
      [
        ['frobnicate'],
        ['registry', 'list', '--bogus'],
        ['score', '--model', 'credit', '--out', 'x.parquet'],
        ['status'],
        ['evaluate', '--model', 'm.onnx', '--data', 'd.parquet', '--label', 'y', '--threshold', '2'],
        ['init', 'Not A Name', '--data', 'd.parquet', '--label', 'y'],
      ],
      2,
      (args) => runCli(args),
    );
    assertUsageError(unknownCommand!, /unknown command 'frobnicate'/);
    assertUsageError(unknownOption!, /unknown option '--bogus'/);
    assertUsageError(missingOption!, /required option '--data <file>' not specified/);
    assertUsageError(missingArgument!, /missing required argument 'run-id'/);
    assertUsageError(badValue!, /--threshold must be a number between 0 and 1, got "2"/);
    assertUsageError(badModelName!, /model name "Not A Name" is invalid/);
  });
});
