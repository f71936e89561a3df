import type { AccessToken } from './access-token';

/** Tokens are renewed this long before they expire (or at half their lifetime when that is shorter). */
export const REFRESH_MARGIN_MS = 5 * 60_000;

interface CacheEntry {
  token: string;
  refreshAtMs: number;
}

/**
 * Per-provider token cache: one entry per key, refreshed ahead of expiry, and one in-flight request per key
 * shared by concurrent callers. Instances are never shared between providers (no module-level state).
 */
export class TokenCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(private readonly now: () => number) {}

  async get(key: string, acquire: () => Promise<AccessToken>, options: { forceRefresh?: boolean; signal?: AbortSignal } = {}): Promise<string> {
    const cached = this.entries.get(key);
    if (cached && !options.forceRefresh && this.now() < cached.refreshAtMs) return cached.token;
    let pending = this.inFlight.get(key);
    if (!pending) {
      if (options.forceRefresh) this.entries.delete(key);
      const requestedAt = this.now();
      pending = acquire()
        .then((fresh) => {
          const lifetime = fresh.expiresOnMs - requestedAt;
          const margin = Math.min(REFRESH_MARGIN_MS, lifetime / 2);
          this.entries.set(key, { token: fresh.token, refreshAtMs: fresh.expiresOnMs - margin });
          return fresh.token;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return options.signal ? raceAbort(pending, options.signal) : pending;
  }
}

/** The caller stops waiting when its signal aborts; the shared request goes on for the other callers. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err); },
    );
  });
}
