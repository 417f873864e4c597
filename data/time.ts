/**
 * ISO-8601 strings (what crosses Temporal and config) ↔ DuckDB timestamps (epoch microseconds,
 * always UTC in Ratchet).
 */
import { timestampValue, type DuckDBTimestampValue } from '@duckdb/node-api';

/** Epoch microseconds of an ISO-8601 string; `field` names the input in the error. */
export function isoToMicros(iso: string, field: string): bigint {
  const ms = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new Error(`${field} must be an ISO-8601 time such as 2026-03-01T00:00:00Z, got ${JSON.stringify(iso)}.`);
  }
  return BigInt(ms) * 1000n;
}

export function isoToTimestamp(iso: string, field: string): DuckDBTimestampValue {
  return timestampValue(isoToMicros(iso, field));
}

/** ISO-8601 (millisecond precision, "Z") of epoch microseconds as DuckDB returns them. */
export function microsToIso(micros: bigint | number): string {
  const value = typeof micros === 'bigint' ? micros : BigInt(micros);
  // Floor division: truncation toward zero would move pre-1970 times forward.
  const ms = value >= 0n ? value / 1000n : -((-value + 999n) / 1000n);
  return new Date(Number(ms)).toISOString();
}
