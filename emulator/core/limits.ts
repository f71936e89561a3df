/**
 * Service protection limits (protocol.md §2.4), kept per caller identity: requests per sliding window
 * and concurrent requests. Requests that are refused do not count against the window.
 */
import type { Limits } from './seed';
import { pathMatches } from './pathPattern';

export type LimitVerdict =
  | { ok: true; release: () => void; remaining: number }
  | { ok: false; kind: 'requests' | 'concurrency'; code: string; message: string; retryAfterSeconds: number };

export class ServiceLimits {
  private readonly windows = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();
  /** Bumped by `clear`, so requests admitted before a reset do not release slots taken after it. */
  private generation = 0;

  constructor(public limits: Limits) {}

  appliesTo(path: string): boolean {
    return this.limits.paths.some((p) => pathMatches(p, path));
  }

  /** Admits one request of `identityKey` or says which limit it hit; call `release` when it is answered. */
  admit(identityKey: string, now = Date.now()): LimitVerdict {
    const { requestsPerWindow, windowSeconds, concurrentRequests } = this.limits;
    const running = this.inFlight.get(identityKey) ?? 0;
    if (running >= concurrentRequests) {
      return {
        ok: false,
        kind: 'concurrency',
        code: '0x80072326',
        message: `Number of concurrent requests exceeded the limit of ${concurrentRequests}.`,
        retryAfterSeconds: 1,
      };
    }
    const windowMs = windowSeconds * 1000;
    const recent = (this.windows.get(identityKey) ?? []).filter((t) => t > now - windowMs);
    if (recent.length >= requestsPerWindow) {
      this.windows.set(identityKey, recent);
      return {
        ok: false,
        kind: 'requests',
        code: '0x80072322',
        message: `Number of requests exceeded the limit of ${requestsPerWindow} over time window of ${windowSeconds} seconds.`,
        retryAfterSeconds: Math.max(1, Math.ceil((recent[0] + windowMs - now) / 1000)),
      };
    }
    recent.push(now);
    this.windows.set(identityKey, recent);
    this.inFlight.set(identityKey, running + 1);
    let released = false;
    const generation = this.generation;
    return {
      ok: true,
      remaining: requestsPerWindow - recent.length,
      release: () => {
        if (released || generation !== this.generation) return;
        released = true;
        const left = (this.inFlight.get(identityKey) ?? 1) - 1;
        if (left <= 0) this.inFlight.delete(identityKey);
        else this.inFlight.set(identityKey, left);
      },
    };
  }

  /** Forgets every window and counter (reset); slots of requests still running are not returned twice. */
  clear(limits: Limits): void {
    this.limits = limits;
    this.generation++;
    this.windows.clear();
    this.inFlight.clear();
  }
}
