/**
 * The operations commands: retraining schedules, the monitor, back-tests and finding runs.
 * Registered together so the CLI's entry point needs one line for all of them.
 */
import type { Command } from 'commander';
import { registerBacktestCommand } from './backtest';
import { registerFindRunsCommand } from './find-runs';
import { registerMonitorCommands } from './monitor';
import { registerScheduleCommands } from './schedule';

export function registerOperationsCommands(program: Command): void {
  registerScheduleCommands(program);
  registerMonitorCommands(program);
  registerBacktestCommand(program);
  registerFindRunsCommand(program);
}

