import { Context } from '@temporalio/activity';
import type { RatchetPaths } from '../core/paths';
import type { RegistryStore } from '../registry/store';

/** What activities need from the process that hosts them; tests pass their own. */
export interface ActivityDeps {
  paths: RatchetPaths;
  store: RegistryStore;
  /** Injected so tests and replays of the same run agree on "now" where an activity needs one. */
  now?: () => Date;
}

/** The workflow an activity runs for: every registry change records it in the audit log. */
export function currentWorkflowId(): string {
  return Context.current().info.workflowExecution?.workflowId ?? 'unknown';
}
