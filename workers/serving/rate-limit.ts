/**
 * A per-client rate limit for the model routes: a token bucket per client, refilled at `perSecond`
 * and holding at most `burst` tokens; a request takes one, and a client with none gets 429 with
 * Retry-After (whole seconds until a token is back).
 *
 * A client is its API key when it presents a valid one (several machines behind one key share its
 * budget), else its IP address as the socket sees it: X-Forwarded-For is not trusted, since any
 * client can set it. Buckets of clients that went quiet are dropped, and the number kept is
 * capped, so a flood of addresses cannot grow memory without bound.
 *
 * Configured by the app's `rateLimit` option, or RATCHET_RATE_LIMIT="<n>/s" or "<n>/m", with an
 * optional burst: "50/s:200" (default burst: one second's worth, at least 1). Off when unset.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from './http-errors';

export interface RateLimitOptions {
  /** Sustained requests per second per client. */
  perSecond: number;
  /** Requests a client may send at once after a quiet spell. Default: max(1, perSecond). */
  burst?: number;
  /** Most clients tracked at once; beyond it the longest-idle are forgotten. Default 100,000. */
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

export class RateLimiter {
  readonly perSecond: number;
  readonly burst: number;
  private readonly maxClients: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    const { perSecond } = options;
    const burst = options.burst ?? Math.max(1, perSecond);
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new Error(`rate limit: perSecond must be a positive number, got ${perSecond}`);
    if (!(burst >= 1) || !Number.isFinite(burst)) throw new Error(`rate limit: burst must be at least 1, got ${burst}`);
    this.perSecond = perSecond;
    this.burst = burst;
    this.maxClients = options.maxClients ?? 100_000;
  }

  /** Takes a token for `client`: 0 when allowed, else the seconds to wait (at least 1). */
  take(client: string): number {
    const now = this.now();
    let bucket = this.buckets.get(client);
    if (bucket) {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.atMs) / 1000) * this.perSecond);
      bucket.atMs = now;
      // Most recently used last: the Map's order is then the eviction order.
      this.buckets.delete(client);
      this.buckets.set(client, bucket);
    } else {
      if (this.buckets.size >= this.maxClients) this.evict(now);
      bucket = { tokens: this.burst, atMs: now };
      this.buckets.set(client, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  get clients(): number {
    return this.buckets.size;
  }

  /** Drops full buckets (they hold no state worth keeping), then the least recently used if still full. */
  private evict(now: number): void {
    for (const [client, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.atMs) / 1000) * this.perSecond >= this.burst) this.buckets.delete(client);
    }
    const excess = this.buckets.size - Math.floor(this.maxClients * 0.9);
    if (excess <= 0) return;
    let dropped = 0;
    for (const client of this.buckets.keys()) {
      if (dropped++ >= excess) break;
      this.buckets.delete(client);
    }
  }
}

/** "50/s", "3000/m", "50/s:200" → options; throws naming the variable and the format. */
export function parseRateLimit(text: string, source = 'RATCHET_RATE_LIMIT'): RateLimitOptions {
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(s|m)\s*(?::\s*(\d+))?\s*$/.exec(text);
  const perSecond = match ? Number(match[1]) / (match[2] === 'm' ? 60 : 1) : Number.NaN;
  if (!match || !(perSecond > 0)) {
    throw new Error(`${source}=${JSON.stringify(text)}: use requests per second or minute with an optional burst, e.g. "50/s", "3000/m" or "50/s:200"`);
  }
  return match[3] === undefined ? { perSecond } : { perSecond, burst: Number(match[3]) };
}

/**
 * The onRequest hook for the model routes: the client is the valid API key presented (when keys
 * are on and it checks out) or the IP address.
 */
export function rateLimitHook(limiter: RateLimiter, validKey: (headers: IncomingHttpHeaders) => string | null) {
  return async (request: { ip: string; headers: IncomingHttpHeaders }, reply: { header(name: string, value: string): unknown }) => {
    const key = validKey(request.headers);
    const client = key ? `key:${createHash('sha256').update(key).digest('hex').slice(0, 16)}` : `ip:${request.ip}`;
    const waitSeconds = limiter.take(client);
    if (waitSeconds === 0) return;
    reply.header('retry-after', String(waitSeconds));
    const who = key ? 'this API key' : `client ${request.ip}`;
    throw new HttpError(
      429,
      'rate_limited',
      `${who} sent more than ${formatRate(limiter.perSecond)} (burst ${limiter.burst}): retry after ${waitSeconds} s`,
    );
  };
}

function formatRate(perSecond: number): string {
  return perSecond >= 1 ? `${+perSecond.toFixed(2)} requests per second` : `${+(perSecond * 60).toFixed(2)} requests per minute`;
}
