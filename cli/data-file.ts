/** A data file named on the command line, opened for DuckDB. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { openScan, type Scan } from '../data/source';
import { CliError, EXIT } from './errors';

/** Opens `path`; a file that cannot be read is a usage error (exit 2) with openScan's message. */
export async function openDataFile(connection: DuckDBConnection, path: string): Promise<Scan> {
  try {
    return await openScan(connection, path);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.usage);
  }
}
