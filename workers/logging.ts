/**
 * Structured logs of the worker processes: one JSON object per line (pino), level from LOG_LEVEL.
 *
 * Three sources end up in the same stream:
 * - the process's own lines (startup, shutdown), through the pino logger;
 * - the Temporal SDK, TypeScript side and Rust core alike, through the Runtime logger below
 *   (core logs are forwarded to it, so nothing is printed in another format beside the JSON);
 * - activities, through `log` from '@temporalio/activity' (or `Context.current().log`): the SDK
 *   adds workflowId, workflowRunId, workflowType, activityType and attempt, and the interceptor
 *   below adds the model the activity works on.
 */
import type { Context } from '@temporalio/activity';
import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import type { ActivityInterceptors } from '@temporalio/worker';
import { pino, type Logger } from 'pino';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
type PinoLevel = (typeof LEVELS)[number];

export function logLevel(env: NodeJS.ProcessEnv = process.env): PinoLevel {
  const wanted = (env.LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!(LEVELS as readonly string[]).includes(wanted)) {
    throw new Error(`LOG_LEVEL="${env.LOG_LEVEL}" is not a level; use one of ${LEVELS.join(', ')}`);
  }
  return wanted as PinoLevel;
}

/**
 * The process logger: JSON lines on stdout (or `destination`), ISO times, the level as a word so
 * log tooling needs no pino-specific mapping.
 */
export function createLogger(options: { name: string; env?: NodeJS.ProcessEnv; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      name: options.name,
      level: logLevel(options.env),
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

const TO_PINO: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * The level the SDK's Rust core logs at, for a LOG_LEVEL: its DEBUG lines (every poll, every
 * activation) drown anything else, so they come only with LOG_LEVEL=trace.
 */
export function coreLogLevel(level: PinoLevel): LogLevel {
  if (level === 'trace') return 'TRACE';
  if (level === 'debug' || level === 'info') return 'INFO';
  if (level === 'warn') return 'WARN';
  return 'ERROR';
}

/** The Temporal SDK's Logger interface over pino: what Runtime.install({ logger }) takes. */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const method = TO_PINO[level] ?? 'info';
    if (!this.logger.isLevelEnabled(method)) return;
    this.logger[method](plainMeta(meta), message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/**
 * SDK metadata as JSON-friendly fields: symbol keys (the SDK's internal timestamp) dropped, errors
 * under pino's `err` key so its serializer keeps message and stack, bigints as strings.
 */
function plainMeta(meta: LogMetadata | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!meta) return out;
  for (const [key, value] of Object.entries(meta)) {
    if (value instanceof Error) out[key === 'error' || key === 'failure' ? 'err' : key] = value;
    else if (typeof value === 'bigint') out[key] = value.toString();
    else out[key] = value;
  }
  return out;
}

/**
 * The model an activity works on, from its input: every Ratchet activity takes one object with
 * either `model` or the whole `config`.
 */
export function modelOf(args: readonly unknown[]): string | undefined {
  const input = args[0];
  if (input === null || typeof input !== 'object') return undefined;
  const direct = (input as { model?: unknown }).model;
  if (typeof direct === 'string') return direct;
  const fromConfig = (input as { config?: { model?: unknown } }).config?.model;
  return typeof fromConfig === 'string' ? fromConfig : undefined;
}

/**
 * Per activity execution: adds `model` to every line logged for the activity — its own lines and
 * the SDK's "Activity completed"/"Activity failed" (with durationMs), which go through the same
 * attributes — and drops the task token, a long opaque string no reader of logs needs.
 */
export function activityLoggingInterceptor(_ctx: Context): ActivityInterceptors {
  let model: string | undefined;
  return {
    inbound: {
      execute(input, next) {
        model = modelOf(input.args);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes(attributes, next) {
        const { taskToken: _token, ...rest } = attributes;
        return next(model === undefined ? rest : { ...rest, model });
      },
    },
  };
}
