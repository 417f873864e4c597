/** Where the Temporal server is: TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, as the Temporal CLI reads them. */
export interface TemporalTarget {
  address: string;
  namespace: string;
}

export function temporalTarget(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  return { address: env.TEMPORAL_ADDRESS || '127.0.0.1:7233', namespace: env.TEMPORAL_NAMESPACE || 'default' };
}
