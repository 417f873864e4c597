/**
 * Heartbeats for every activity that has a heartbeat timeout, at a third of it, while the
 * activity runs. Activities still heartbeat their own progress; this keeps one that is busy in a
 * long DuckDB query or a child process from being declared lost, so the heartbeat timeout can be
 * short and a killed worker's activities are retried elsewhere within seconds, not minutes.
 *
 * The automatic beat repeats the activity's last own details, so progress shown in the Temporal
 * UI is not blanked. A beat needs the event loop: CPU-bound code that blocks it for longer than
 * the timeout must still heartbeat from inside its loop (the built-in trainer does).
 */
import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptors, Next } from '@temporalio/worker';

/** Beats at least this often apart, whatever the timeout. */
const MIN_INTERVAL_MS = 200;

export function autoHeartbeat(ctx: Context): ActivityInterceptors {
  return { inbound: new AutoHeartbeat(ctx) };
}

class AutoHeartbeat implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const timeoutMs = this.ctx.info.heartbeatTimeoutMs;
    // Without a heartbeat timeout the server ignores heartbeats: nothing to keep alive.
    if (!timeoutMs) return next(input);
    const ctx = this.ctx;
    const own = ctx.heartbeat;
    let last: unknown = undefined;
    // `heartbeat` is a per-instance function (typed readonly): wrap it to remember the details.
    (ctx as { heartbeat: (details?: unknown) => void }).heartbeat = (details?: unknown) => {
      last = details;
      own(details);
    };
    const timer = setInterval(() => own(last), Math.max(MIN_INTERVAL_MS, Math.floor(timeoutMs / 3)));
    try {
      return await next(input);
    } finally {
      clearInterval(timer);
    }
  }
}
