/** A Temporal client for the length of one command, closed however the command ends. */
import type { Client } from '@temporalio/client';
import { connectClient } from './temporal-client';

export async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient();
  try {
    return await fn(client);
  } finally {
    await close();
  }
}
