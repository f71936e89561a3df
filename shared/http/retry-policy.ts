import type { RetryOptions } from './types';
import type { ServerErrorInfo } from './errors';

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 6,
  maxElapsedMs: 5 * 60_000,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  lockMinDelayMs: 15_000,
  lockMaxDelayMs: 60_000,
  lockDeadlineMs: 10 * 60_000,
};

/**
 * throttled: 429 service protection (Retry-After). transient: 502/503/504 and network failures.
 * lock: the solution-operation lock ("Cannot start another [Import]…"), which clears only when the other
 * operation ends, so it waits longer and has its own deadline.
 */
export type RetryClass = 'throttled' | 'transient' | 'lock';

/** What one attempt ended with, as far as retrying is concerned. */
export type AttemptOutcome =
  | { phase: 'response'; status: number; headers: Record<string, string>; serverError: ServerErrorInfo }
  /**
   * The connection was never established (DNS failure, refused, TLS handshake failure, connect timeout): the
   * request never left the client, so the server certainly did not act on it.
   */
  | { phase: 'connect'; networkCode: string }
  /** Connected, so the request may have reached the server, but no response byte arrived (reset, hang-up). */
  | { phase: 'before-response'; networkCode: string }
  /** The status line and headers arrived, then the connection broke while the body was read. */
  | { phase: 'mid-response'; networkCode: string }
  /** Timed out after connecting: the request may have reached the server. */
  | { phase: 'timeout' };

export interface RetryDecision {
  retryClass: RetryClass;
  /** Server-requested wait (Retry-After), if any. */
  retryAfterMs?: number;
  reason: string;
}

const TRANSIENT_STATUSES = new Set([502, 503, 504]);
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH',
]);
/** Codes that only a connection attempt can fail with: whoever reports them, nothing was sent. */
const CONNECT_ONLY_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const LOCK_CODE = '0x80071151';
const LOCK_MESSAGE = /CustomizationLock|because there is (a previous|another) \[/;

/** Whether a network error code proves the connection was never established (for transports that cannot tell). */
export function isConnectOnlyCode(networkCode: string): boolean {
  return CONNECT_ONLY_CODES.has(networkCode);
}

export function isSolutionOperationLock(status: number, serverError: ServerErrorInfo): boolean {
  if (status !== 429 && status !== 400) return false;
  if (serverError.code?.toLowerCase() === LOCK_CODE) return true;
  return LOCK_MESSAGE.test(serverError.message ?? '');
}

/**
 * Whether the attempt may be repeated. Non-idempotent requests are repeated only when the server certainly
 * did not act on them: the connection was never established, or the server answered throttled (429), locked
 * or 503 with Retry-After. Never after a reset or timeout once connected, nor mid-response (design.md §7).
 */
export function decideRetry(outcome: AttemptOutcome, idempotent: boolean, now: number): RetryDecision | undefined {
  switch (outcome.phase) {
    case 'timeout':
      return idempotent ? { retryClass: 'transient', reason: 'timed out' } : undefined;
    case 'mid-response':
      return idempotent && RETRYABLE_NETWORK_CODES.has(outcome.networkCode)
        ? { retryClass: 'transient', reason: `connection lost mid-response (${outcome.networkCode})` }
        : undefined;
    case 'before-response':
      return idempotent && RETRYABLE_NETWORK_CODES.has(outcome.networkCode)
        ? { retryClass: 'transient', reason: `connection lost before the response (${outcome.networkCode})` }
        : undefined;
    case 'connect':
      return RETRYABLE_NETWORK_CODES.has(outcome.networkCode)
        ? { retryClass: 'transient', reason: `could not connect (${outcome.networkCode})` }
        : undefined;
    case 'response': {
      const { status, headers, serverError } = outcome;
      const retryAfterMs = parseRetryAfter(headers['retry-after'], now);
      if (isSolutionOperationLock(status, serverError)) {
        return { retryClass: 'lock', retryAfterMs, reason: `solution operation lock (HTTP ${status})` };
      }
      if (status === 429) return { retryClass: 'throttled', retryAfterMs, reason: 'throttled (HTTP 429)' };
      if (!TRANSIENT_STATUSES.has(status)) return undefined;
      if (!idempotent && !(status === 503 && retryAfterMs !== undefined)) return undefined;
      return { retryClass: 'transient', retryAfterMs, reason: `HTTP ${status}` };
    }
  }
}

/** Retry-After as delta-seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Full jitter: random in [0, min(cap, base·2^retryIndex)]. */
export function backoffDelay(retryIndex: number, options: RetryOptions, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retryIndex);
  return Math.floor(random() * ceiling);
}

/** Lock waits grow min, 2·min, … up to max (never below a longer Retry-After). */
export function lockDelay(lockRetryIndex: number, options: RetryOptions, retryAfterMs?: number): number {
  const grown = Math.min(options.lockMaxDelayMs, options.lockMinDelayMs * 2 ** lockRetryIndex);
  return Math.max(grown, retryAfterMs ?? 0);
}
