/** A Temporal client for CLI commands, with an error that says how to get a server when none answers. */
import { Client, Connection } from '@temporalio/client';
import { temporalTarget, type TemporalTarget } from '../workers/temporal-connection';
import { CliError } from './errors';

export async function connectClient(target: TemporalTarget = temporalTarget()): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: target.address, connectTimeout: 3000 });
  } catch (err) {
    throw new CliError(
      `cannot reach the Temporal server at ${target.address} (${(err as Error).message.split('\n')[0]}).\n` +
        `Start the embedded stack with \`ratchet dev\` (or \`npm run demo\`), or set TEMPORAL_ADDRESS=host:port to use another server.`,
    );
  }
  return { client: new Client({ connection, namespace: target.namespace }), close: () => connection.close() };
}
