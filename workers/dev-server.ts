/**
 * The embedded Temporal server: `temporal server start-dev` with SQLite persistence in the
 * project's state folder and the Web UI. Started as a child process we own, and polled until it
 * answers (its own readiness can take well over the SDK's 5 s on a busy 2-core machine).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureTool, TEMPORAL_CLI } from './temporal-tools';
import { RATCHET_SEARCH_ATTRIBUTES, searchAttributeFlags } from '../workflows/search-attributes';

class SearchAttributeSetupError extends Error {}

/**
 * Flags register the attributes on a new SQLite file but may be ignored on an existing one, so
 * they are also added through the operator service, which is idempotent.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = RATCHET_SEARCH_ATTRIBUTES.filter((key) => !customAttributes?.[key.name]);
  if (missing.length === 0) return;
  const INDEXED_VALUE_TYPE = { KEYWORD: 2, INT: 3 } as const; // temporal.api.enums.v1.IndexedValueType
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPE[key.type as keyof typeof INDEXED_VALUE_TYPE]])),
    });
  } catch (err) {
    throw new SearchAttributeSetupError(`cannot register Ratchet's search attributes on namespace ${namespace}: ${(err as Error).message}`);
  }
}

export interface DevServer {
  address: string; // host:port for the SDK
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  /** SQLite file; omit for an in-memory server (tests). */
  dbFile?: string;
  port?: number; // default: 7233 when free, else any free port
  ui?: boolean;
  logFile?: string;
  readyTimeoutMs?: number;
  namespace?: string;
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = ensureTool(TEMPORAL_CLI);
  const port = options.port ?? ((await isPortFree(7233)) ? 7233 : await freePort());
  const ui = options.ui ?? true;
  const uiPort = ui ? ((await isPortFree(port + 1000)) ? port + 1000 : await freePort()) : undefined;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  args.push('--namespace', options.namespace ?? 'default');
  if (options.dbFile) {
    await mkdir(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  if (ui) args.push('--ui-port', String(uiPort));
  else args.push('--headless');
  // Keep the dev server from growing its own metrics endpoint on a random port.
  args.push('--metrics-port', String(await freePort()));
  args.push(...searchAttributeFlags());

  let output: NodeJS.WritableStream | 'ignore' = 'ignore';
  if (options.logFile) {
    await mkdir(path.dirname(options.logFile), { recursive: true });
    output = createWriteStream(options.logFile, { flags: 'a' });
  }
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(chunk.toString());
    if (tail.length > 50) tail.shift();
    if (output !== 'ignore') output.write(chunk);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (exited !== null) throw new Error(`temporal server start-dev exited with ${exited}:\n${tail.join('').slice(-2000)}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        await connection.workflowService.describeNamespace({ namespace: options.namespace ?? 'default' });
        await registerSearchAttributes(connection, options.namespace ?? 'default');
      } finally {
        await connection.close();
      }
      break;
    } catch (err) {
      if (err instanceof SearchAttributeSetupError) {
        child.kill('SIGKILL');
        throw err;
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server did not become ready at ${address} within ${options.readyTimeoutMs ?? 90_000} ms: ${String(err)}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  return {
    address,
    uiUrl: ui ? `http://127.0.0.1:${uiPort}` : null,
    process: child,
    async stop() {
      if (exited !== null) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
      if (output !== 'ignore') output.end();
    },
  };
}

export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
