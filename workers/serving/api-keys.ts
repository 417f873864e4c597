/**
 * Optional API keys for the predict route. Keys are compared as SHA-256 digests with
 * timingSafeEqual, so neither their length nor their content leaks through timing, and the
 * plain keys are not kept around where a log line could pick them up.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from './http-errors';

export type ApiKeyCheck = (headers: IncomingHttpHeaders) => boolean;

export function compileApiKeyCheck(keys: readonly string[]): ApiKeyCheck | null {
  const usable = keys.map((k) => k.trim()).filter((k) => k.length > 0);
  if (usable.length === 0) return null;
  const digests = usable.map(digest);
  return (headers) => {
    const presented = presentedKey(headers);
    if (presented === null) return false;
    const candidate = digest(presented);
    let match = false;
    for (const d of digests) match = timingSafeEqual(d, candidate) || match; // no early exit
    return match;
  };
}

/** The key a request presents (Authorization: Bearer, or X-API-Key), valid or not. */
export function presentedKey(headers: IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header.trim();
  return null;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/**
 * Route options with an onRequest hook refusing requests without a valid key; no hook at all when
 * keys are off, so an open worker pays nothing for the feature.
 */
export function apiKeyHook(check: ApiKeyCheck | null): { onRequest?: (request: { headers: IncomingHttpHeaders }) => Promise<void> } {
  if (!check) return {};
  return {
    onRequest: async (request) => {
      if (!check(request.headers)) {
        throw new HttpError(401, 'unauthorized', 'this worker requires an API key: send the header Authorization: Bearer <key> (or X-API-Key: <key>)');
      }
    },
  };
}
